//! Compression of answers, as `Accept-Encoding` asks: gzip or brotli, a whole
//! answer at once, on the worker that made it, and once per answer.
//!
//! Why not actix's `Compress`: it streams, and hands every chunk over 1 KiB
//! to tokio's blocking pool (up to 512 threads), where brotli runs at quality
//! 3 with a 4 MiB window. A browser's search (every browser asks for `br`) ran
//! 29 times slower than an uncompressed one, and each blocking thread kept
//! its encoder's memory: 256 connections asking for `br` held 3 GB.
//!
//! Here an answer's bytes are compressed in one call, with no `await` in it,
//! so no more encoders exist at once than worker threads, whatever the
//! number of connections; each is sized to its answer (a window no larger
//! than the answer) at a fast level. Small answers go as they are: under
//! [`MIN_BYTES`] compression saves less than a packet and costs a call.
//!
//! An answer with an entity tag is the same bytes for every request with
//! that tag (the tag names the directory version and the normalised query),
//! so its compressed bytes are kept in [`Compressed`], within a memory
//! budget and for the answer's max-age: a popular search is compressed once
//! a minute (by default), not once per patient.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::Error;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ResponseHead, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, AcceptEncoding, ContentEncoding, Encoding, Header, HeaderValue, Preference, Quality,
};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};

use super::AppState;

/// Answers smaller than this are not compressed.
const MIN_BYTES: u64 = 1024;

/// Brotli's quality (0 to 11). On a 26 KB page of results, quality 4 is as
/// fast as 1 (this crate's lower levels pay a fixed set-up) and 44% smaller;
/// 5 and above take tens of milliseconds.
const BROTLI_QUALITY: i32 = 4;

/// The codings offered, in the server's order at equal weight: gzip first,
/// because at its fastest level it both compresses our JSON better than
/// brotli's fast levels and takes a fifth of their time.
const OFFERED: [(ContentEncoding, Encoding); 2] =
    [(ContentEncoding::Gzip, Encoding::gzip()), (ContentEncoding::Brotli, Encoding::brotli())];

/// The memory the compressed answers kept may take.
const KEPT_BYTES: usize = 16 << 20;

/// What keeping an answer costs besides its bytes and its tag's: the map's
/// slot, the key's and the shared buffer's headers, with the map's slack.
const KEPT_OVERHEAD: usize = 160;

/// Compresses the answer to `req` if its client accepts brotli or gzip and
/// the answer is text of some size, held in memory.
pub async fn compress(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let coding = chosen(&req);
    let state = req.app_data::<Data<AppState>>().cloned();
    let response = next.call(req).await?;
    let kept = state.as_ref().map(|state| Kept {
        answers: &state.compressed,
        fresh_for: Duration::from_secs(state.cache_max_age().into()),
    });
    Ok(response.map_body(|head, body| encode(head, body, coding, kept)))
}

/// The compressed answers kept, and how long one may be reused: as long as
/// the answer's `Cache-Control` lets any cache reuse it, so that how fast a
/// search comes back tells no more about others' searches than a shared
/// cache in front of the server would.
#[derive(Clone, Copy)]
struct Kept<'a> {
    answers: &'a Compressed,
    fresh_for: Duration,
}

/// The coding the request asks for: of those offered, the one with the
/// highest weight (`*` standing for any not named), or identity when the
/// header is missing, unreadable, or refuses all of them (a 406 would help
/// no one).
fn chosen(req: &ServiceRequest) -> ContentEncoding {
    let Ok(AcceptEncoding(accepted)) = AcceptEncoding::parse(req.request()) else {
        return ContentEncoding::Identity;
    };
    let weight = |named: Encoding| {
        let of =
            |wanted: &Preference<Encoding>| accepted.iter().find(|q| q.item == *wanted).map(|q| q.quality);
        of(&Preference::Specific(named)).or_else(|| of(&Preference::Any)).unwrap_or(Quality::ZERO)
    };
    OFFERED
        .into_iter()
        .map(|(coding, named)| (weight(named), coding))
        .filter(|(weight, _)| *weight > Quality::ZERO)
        // The first of the heaviest: `max_by_key` would take the last.
        .fold(None, |best: Option<(Quality, ContentEncoding)>, next| match best {
            Some(best) if best.0 >= next.0 => Some(best),
            _ => Some(next),
        })
        .map_or(ContentEncoding::Identity, |(_, coding)| coding)
}

/// Whether an answer with this head is text that a coding may shrink.
fn compressible(head: &ResponseHead) -> bool {
    let status = head.status;
    if status.is_informational()
        || matches!(status.as_u16(), 204 | 206)
        || head.headers.contains_key(header::CONTENT_ENCODING)
    {
        return false;
    }
    let media = head.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = media.split(';').next().unwrap_or("").trim();
    media.starts_with("text/")
        || media.ends_with("+json")
        || matches!(media, "application/json" | "application/javascript" | "image/svg+xml")
}

/// The answer's body, encoded in `coding` when it is compressible text of at
/// least [`MIN_BYTES`] in memory and encoding makes it smaller; taken from
/// or added to `kept` when the answer has an entity tag.
fn encode(
    head: &mut ResponseHead,
    body: impl MessageBody + 'static,
    coding: ContentEncoding,
    kept: Option<Kept<'_>>,
) -> BoxBody {
    if head.status == StatusCode::NOT_MODIFIED {
        // A 304 carries the `Vary` of the answer it stands for (RFC 9110
        // 15.4.5), which this header may have encoded.
        head.headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        return body.boxed();
    }
    let sized = matches!(body.size(), BodySize::Sized(n) if n >= MIN_BYTES);
    if !sized || !compressible(head) {
        return body.boxed();
    }
    // This answer's bytes would differ with another `Accept-Encoding`.
    head.headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => return body.boxed(),
    };
    let tag = head.headers.get(header::ETAG).filter(|_| head.status.is_success()).cloned();
    let key = tag.as_ref().zip(kept);
    let encoded = match key.and_then(|(tag, kept)| kept.answers.get(tag, coding, kept.fresh_for)) {
        Some(encoded) => encoded,
        None => {
            let encoded = match coding {
                ContentEncoding::Brotli => brotli(&bytes),
                ContentEncoding::Gzip => gzip(&bytes),
                _ => return bytes.boxed(),
            };
            if encoded.len() >= bytes.len() {
                return bytes.boxed();
            }
            if let Some((tag, kept)) = key {
                kept.answers.keep(tag, coding, &encoded);
            }
            encoded
        }
    };
    head.headers.insert(header::CONTENT_ENCODING, coding.to_header_value());
    head.headers.remove(header::CONTENT_LENGTH);
    encoded.boxed()
}

/// Brotli at [`BROTLI_QUALITY`], its window (and so its memory) no larger
/// than the answer needs.
fn brotli(bytes: &[u8]) -> Bytes {
    let window_bits = (usize::BITS - bytes.len().leading_zeros()).clamp(10, 22);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: window_bits as i32,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(bytes.len() / 4);
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("writing to memory does not fail");
    exact(out)
}

/// Gzip at its fastest level.
fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::fast());
    encoder.write_all(bytes).expect("writing to memory does not fail");
    exact(encoder.finish().expect("writing to memory does not fail"))
}

/// `out` in an allocation of its length: `Bytes` keeps a `Vec`'s whole
/// capacity, which [`Compressed`] would otherwise hold without counting.
fn exact(out: Vec<u8>) -> Bytes {
    Bytes::from(out.into_boxed_slice())
}

/// Compressed answers by entity tag and coding, at most [`KEPT_BYTES`] in
/// all. Not in `/metrics`: whether a count grows would tell anyone whether
/// another had asked a search before them. Sharded, so that workers rarely
/// wait on one another; a full shard makes room by dropping whatever its map
/// yields first (the answers of a superseded directory version are never
/// asked for again and go in time).
pub struct Compressed {
    shards: [Mutex<Shard>; SHARDS],
    hasher: RandomState,
}

const SHARDS: usize = 16;

#[derive(Default)]
struct Shard {
    /// With when each was kept.
    answers: HashMap<(HeaderValue, ContentEncoding), (Bytes, Instant)>,
    bytes: usize,
}

impl Default for Compressed {
    fn default() -> Self {
        Compressed { shards: std::array::from_fn(|_| Mutex::default()), hasher: RandomState::new() }
    }
}

impl Compressed {
    fn shard(&self, tag: &HeaderValue) -> std::sync::MutexGuard<'_, Shard> {
        let at = self.hasher.hash_one(tag.as_bytes()) as usize % SHARDS;
        // A panic elsewhere cannot leave a shard half-written: each change is
        // one map operation and a counter.
        self.shards[at].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The answer kept for `tag` in `coding`, if kept less than `fresh_for`
    /// ago (an older one is replaced when the answer is kept again).
    fn get(&self, tag: &HeaderValue, coding: ContentEncoding, fresh_for: Duration) -> Option<Bytes> {
        let shard = self.shard(tag);
        let (answer, kept_at) = shard.answers.get(&(tag.clone(), coding))?;
        (kept_at.elapsed() < fresh_for).then(|| answer.clone())
    }

    fn keep(&self, tag: &HeaderValue, coding: ContentEncoding, encoded: &Bytes) {
        let budget = KEPT_BYTES / SHARDS;
        let size = encoded.len() + tag.len() + KEPT_OVERHEAD;
        if size > budget {
            return;
        }
        let mut shard = self.shard(tag);
        while shard.bytes + size > budget {
            let Some(first) = shard.answers.keys().next().cloned() else { break };
            if let Some((dropped, _)) = shard.answers.remove(&first) {
                shard.bytes -= dropped.len() + first.0.len() + KEPT_OVERHEAD;
            }
        }
        if let Some((replaced, _)) =
            shard.answers.insert((tag.clone(), coding), (encoded.clone(), Instant::now()))
        {
            shard.bytes -= replaced.len() + tag.len() + KEPT_OVERHEAD;
        }
        shard.bytes += size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_answer_is_reused_only_while_fresh() {
        let kept = Compressed::default();
        let tag = HeaderValue::from_static("W/\"1-ab\"");
        let answer = Bytes::from_static(b"compressed");
        kept.keep(&tag, ContentEncoding::Gzip, &answer);
        let minute = Duration::from_secs(60);
        assert_eq!(kept.get(&tag, ContentEncoding::Gzip, minute), Some(answer.clone()));
        assert_eq!(kept.get(&tag, ContentEncoding::Brotli, minute), None, "per coding");
        assert_eq!(kept.get(&tag, ContentEncoding::Gzip, Duration::ZERO), None, "max-age=0 reuses nothing");
        // Kept again once stale: replaced, counted once.
        kept.keep(&tag, ContentEncoding::Gzip, &answer);
        let bytes: usize = kept.shards.iter().map(|s| s.lock().unwrap().bytes).sum();
        assert_eq!(bytes, answer.len() + tag.len() + KEPT_OVERHEAD);
    }
}
