//! The opaque paging cursor.
//!
//! It carries the last result's sort key and a fingerprint of the query, so a
//! page resumes strictly after the previous one even if the directory changed in
//! between, and a cursor cannot be replayed against another query. A checksum
//! over the payload rejects any altered byte: FNV-1a's step `h -> (h ^ b) * p`
//! is a bijection in both `h` and `b`, so changing any one byte changes the sum.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::Npi;

const FORMAT_VERSION: u8 = 1;

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
    #[error("is malformed or has been altered; pass next_cursor exactly as received")]
    Malformed,
    #[error(
        "belongs to a different query; repeat the same parameters with it, or start again without a cursor"
    )]
    OtherQuery,
}

/// FNV-1a, 64-bit.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl Cursor {
    pub fn encode(&self) -> String {
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
        bytes.extend(fnv1a(&bytes).to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes a cursor and checks it was issued for the query `fingerprint`.
    pub fn decode(text: &str, fingerprint: u64) -> Result<Self, CursorError> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| CursorError::Malformed)?;
        let (payload, sum) = bytes.split_last_chunk::<8>().ok_or(CursorError::Malformed)?;
        if fnv1a(payload) != u64::from_be_bytes(*sum) {
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

    #[test]
    fn round_trips() {
        for cursor in samples() {
            assert_eq!(Cursor::decode(&cursor.encode(), cursor.fingerprint), Ok(cursor));
        }
    }

    #[test]
    fn refuses_another_query() {
        let cursor = &samples()[0];
        assert_eq!(Cursor::decode(&cursor.encode(), 43), Err(CursorError::OtherQuery));
    }

    #[test]
    fn refuses_any_altered_byte() {
        for cursor in samples() {
            let raw = URL_SAFE_NO_PAD.decode(cursor.encode()).unwrap();
            for i in 0..raw.len() {
                for flip in [1u8, 0x80, 0xff] {
                    let mut bytes = raw.clone();
                    bytes[i] ^= flip;
                    let text = URL_SAFE_NO_PAD.encode(&bytes);
                    assert_eq!(
                        Cursor::decode(&text, cursor.fingerprint),
                        Err(CursorError::Malformed),
                        "byte {i}"
                    );
                }
            }
            let text = cursor.encode();
            for cut in 0..text.len() {
                assert!(Cursor::decode(&text[..cut], cursor.fingerprint).is_err());
            }
        }
        for junk in ["", "!!!", "AAAA", "%00", "🙂"] {
            assert_eq!(Cursor::decode(junk, 0), Err(CursorError::Malformed));
        }
    }
}
