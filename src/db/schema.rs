// Diesel table definitions matching both migration trees, migrations/sqlite and
// migrations/postgres (the integration tests run every query on both).

diesel::table! {
    physicians (npi) {
        npi -> Text,
        given_name -> Text,
        family_name -> Text,
        credentials -> Text,
        gender -> Text,
        specialties -> Text,
        conditions -> Text,
        languages -> Text,
        accepting_new_patients -> Bool,
        telehealth -> Bool,
        last_updated -> Text,
        licensed_states -> Text,
    }
}

diesel::table! {
    locations (npi, ordinal) {
        npi -> Text,
        ordinal -> Integer,
        practice_name -> Text,
        street -> Text,
        city -> Text,
        state -> Text,
        zip -> Text,
        phone -> Text,
        lat -> Double,
        lng -> Double,
        services -> Text,
        geocode_precision -> Text,
    }
}

diesel::table! {
    directory_version (id) {
        id -> Integer,
        version -> BigInt,
        updated_at -> Text,
        stamp -> Text,
    }
}

diesel::table! {
    directory_stamps (version) {
        version -> BigInt,
        stamp -> Text,
        physicians -> Nullable<BigInt>,
    }
}

diesel::table! {
    directory_changes (version, npi) {
        version -> BigInt,
        npi -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Text,
        actor -> Text,
        action -> Text,
        npi -> Nullable<Text>,
    }
}

diesel::table! {
    cursor_key (id) {
        id -> Integer,
        secret -> Binary,
    }
}

diesel::joinable!(locations -> physicians (npi));
diesel::allow_tables_to_appear_in_same_query!(physicians, locations);
