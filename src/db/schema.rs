// Diesel table definitions matching migrations/sqlite (kept in step by the
// `schema_matches_migrations` test).

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
    }
}

diesel::table! {
    directory_version (id) {
        id -> Integer,
        version -> BigInt,
        updated_at -> Text,
    }
}

diesel::joinable!(locations -> physicians (npi));
diesel::allow_tables_to_appear_in_same_query!(physicians, locations);
