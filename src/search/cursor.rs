//! The opaque paging cursor.
//!
//! It carries the last result's sort key and a fingerprint of the query, so a
//! page resumes strictly after the previous one even if the directory changed in
//! between, and a cursor cannot be replayed against another query. It is
//! signed: an HMAC-SHA256 of the payload under the directory's
//! [`CursorKey`], so only a cursor the service wrote is accepted. A checksum
//! anyone can compute would let a client forge any position (a distance no
//! search reached, an ordinal no location has) and have it honoured.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::Npi;

/// 2: signed with HMAC-SHA256 (1 had an unkeyed checksum).
const FORMAT_VERSION: u8 = 2;
/// Bytes of the HMAC a cursor carries: its first 128 bits (RFC 2104 allows
/// half the hash), which no client can guess, in a shorter URL.
pub const TAG_BYTES: usize = 16;

/// The secret cursors are signed with. Whoever holds it can write a cursor
/// the service accepts; the service keeps it with the directory (see
/// [`crate::db::Database::cursor_key`]), so that every instance serving one
/// directory accepts the others' cursors. The search layer only uses it.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    pub fn new(secret: [u8; 32]) -> Self {
        CursorKey(secret)
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(payload);
        mac
    }

    /// The tag [`Cursor::encode`] appends to `payload`.
    pub fn tag(&self, payload: &[u8]) -> [u8; TAG_BYTES] {
        let full = self.mac(payload).finalize().into_bytes();
        full[..TAG_BYTES].try_into().expect("SHA-256 is longer than the tag")
    }

    /// Whether `tag` is `payload`'s, compared in constant time.
    fn signed(&self, payload: &[u8], tag: &[u8; TAG_BYTES]) -> bool {
        self.mac(payload).verify_truncated_left(tag).is_ok()
    }
}

/// Never shows the secret.
impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// Where the previous page ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Position {
    /// Ranked by distance: the last result's geodesic distance in metres and NPI.
    Distance { metres: f64, npi: Npi },
    /// Listed by name: the last result's folded family and given names and NPI.
    Name { family: String, given: String, npi: Npi },
    /// A search of practice locations (see [`crate::search::PlaceKey`]): the
    /// last one's distance in metres (0 without an origin), NPI and ordinal.
    Place { metres: f64, npi: Npi, ordinal: u8 },
}

/// A decoded cursor.
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor {
    /// [`crate::search::SearchQuery::fingerprint`] of the query that issued it.
    pub fingerprint: u64,
    pub position: Position,
}

/// Why a cursor was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not signed by the key (altered, forged, or written for another
    /// directory), or signed but not a cursor of this format.
    #[error("was not written by this service or has been altered; pass next_cursor exactly as received")]
    Malformed,
    #[error(
        "belongs to a different query; repeat the same parameters with it, or start again without a cursor"
    )]
    OtherQuery,
}

/// FNV-1a, 64-bit: a query's fingerprint (a cursor's MAC is what makes it
/// unforgeable).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl Cursor {
    /// The cursor's text, signed with `key`.
    pub fn encode(&self, key: &CursorKey) -> String {
        let mut bytes = vec![FORMAT_VERSION];
        bytes.extend(self.fingerprint.to_be_bytes());
        match &self.position {
            Position::Distance { metres, npi } => {
                bytes.push(b'd');
                bytes.extend(metres.to_bits().to_be_bytes());
                bytes.extend(npi.get().to_be_bytes());
            }
            Position::Place { metres, npi, ordinal } => {
                bytes.push(b'p');
                bytes.extend(metres.to_bits().to_be_bytes());
                bytes.extend(npi.get().to_be_bytes());
                bytes.push(*ordinal);
            }
            Position::Name { family, given, npi } => {
                bytes.push(b'n');
                for s in [family, given] {
                    bytes.extend((s.len() as u32).to_be_bytes());
                    bytes.extend(s.as_bytes());
                }
                bytes.extend(npi.get().to_be_bytes());
            }
        }
        bytes.extend(key.tag(&bytes));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes a cursor signed with `key` and checks it was issued for the
    /// query `fingerprint`.
    pub fn decode(text: &str, fingerprint: u64, key: &CursorKey) -> Result<Self, CursorError> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| CursorError::Malformed)?;
        let (payload, tag) = bytes.split_last_chunk::<TAG_BYTES>().ok_or(CursorError::Malformed)?;
        if !key.signed(payload, tag) {
            return Err(CursorError::Malformed);
        }
        let mut reader = Reader(payload);
        if reader.take::<1>()? != [FORMAT_VERSION] {
            return Err(CursorError::Malformed);
        }
        let issued_for = u64::from_be_bytes(reader.take()?);
        let position = match reader.take::<1>()? {
            [b'd'] => Position::Distance { metres: reader.metres()?, npi: reader.npi()? },
            [b'p'] => {
                let (metres, npi) = (reader.metres()?, reader.npi()?);
                let [ordinal] = reader.take()?;
                Position::Place { metres, npi, ordinal }
            }
            [b'n'] => {
                Position::Name { family: reader.string()?, given: reader.string()?, npi: reader.npi()? }
            }
            _ => return Err(CursorError::Malformed),
        };
        if !reader.0.is_empty() {
            return Err(CursorError::Malformed);
        }
        if issued_for != fingerprint {
            return Err(CursorError::OtherQuery);
        }
        Ok(Cursor { fingerprint, position })
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], CursorError> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or(CursorError::Malformed)?;
        self.0 = rest;
        Ok(*head)
    }

    /// A distance: finite and not negative.
    fn metres(&mut self) -> Result<f64, CursorError> {
        let metres = f64::from_bits(u64::from_be_bytes(self.take()?));
        if metres.is_finite() && metres >= 0.0 { Ok(metres) } else { Err(CursorError::Malformed) }
    }

    fn npi(&mut self) -> Result<Npi, CursorError> {
        Npi::from_u64(u64::from_be_bytes(self.take()?)).map_err(|_| CursorError::Malformed)
    }

    fn string(&mut self) -> Result<String, CursorError> {
        let len = u32::from_be_bytes(self.take()?) as usize;
        if len > self.0.len() {
            return Err(CursorError::Malformed);
        }
        let (s, rest) = self.0.split_at(len);
        self.0 = rest;
        String::from_utf8(s.to_vec()).map_err(|_| CursorError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Cursor> {
        let npi = Npi::parse("1234567893").unwrap();
        vec![
            Cursor { fingerprint: 42, position: Position::Distance { metres: 1234.5, npi } },
            Cursor {
                fingerprint: u64::MAX,
                position: Position::Name { family: "núñez".into(), given: "ada".into(), npi },
            },
            Cursor { fingerprint: 7, position: Position::Place { metres: 0.0, npi, ordinal: 255 } },
        ]
    }

    fn key() -> CursorKey {
        CursorKey::new([7; 32])
    }

    #[test]
    fn round_trips() {
        for cursor in samples() {
            assert_eq!(Cursor::decode(&cursor.encode(&key()), cursor.fingerprint, &key()), Ok(cursor));
        }
    }

    #[test]
    fn refuses_another_query() {
        let cursor = &samples()[0];
        assert_eq!(Cursor::decode(&cursor.encode(&key()), 43, &key()), Err(CursorError::OtherQuery));
    }

    /// A cursor is only as good as its signature: the same cursor signed
    /// with another key, or sealed with the unkeyed checksum version 1
    /// carried, is refused.
    #[test]
    fn refuses_a_cursor_signed_otherwise() {
        for cursor in samples() {
            let other = cursor.encode(&CursorKey::new([8; 32]));
            assert_eq!(Cursor::decode(&other, cursor.fingerprint, &key()), Err(CursorError::Malformed));
            let raw = URL_SAFE_NO_PAD.decode(cursor.encode(&key())).unwrap();
            let mut payload = raw[..raw.len() - TAG_BYTES].to_vec();
            payload[0] = 1;
            let sum = fnv1a(&payload);
            payload.extend(sum.to_be_bytes());
            let old = URL_SAFE_NO_PAD.encode(payload);
            assert_eq!(Cursor::decode(&old, cursor.fingerprint, &key()), Err(CursorError::Malformed));
        }
    }

    #[test]
    fn refuses_any_altered_byte() {
        for cursor in samples() {
            let raw = URL_SAFE_NO_PAD.decode(cursor.encode(&key())).unwrap();
            for i in 0..raw.len() {
                for flip in [1u8, 0x80, 0xff] {
                    let mut bytes = raw.clone();
                    bytes[i] ^= flip;
                    let text = URL_SAFE_NO_PAD.encode(&bytes);
                    assert_eq!(
                        Cursor::decode(&text, cursor.fingerprint, &key()),
                        Err(CursorError::Malformed),
                        "byte {i}"
                    );
                }
            }
            let text = cursor.encode(&key());
            for cut in 0..text.len() {
                assert!(Cursor::decode(&text[..cut], cursor.fingerprint, &key()).is_err());
            }
        }
        for junk in ["", "!!!", "AAAA", "%00", "🙂"] {
            assert_eq!(Cursor::decode(junk, 0, &key()), Err(CursorError::Malformed));
        }
    }
}
