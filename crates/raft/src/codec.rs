//! The wire codec: an [`Envelope`] becomes a checksummed frame and back.
//!
//! A frame is `[length: u32 LE][crc32c: u32 LE][payload]`, where the payload is the envelope in
//! `postcard`'s compact binary encoding and the checksum covers the payload. The network carries
//! only frames, so a simulated bit flip damages real bytes, and the receiver must notice:
//! CRC-32C detects every error of up to three bits in frames of any size raftsim produces, and a
//! flip in the length field is caught because the length must equal the bytes received.
//!
//! Decoding never panics: every malformed input becomes a [`CodecError`].

use std::mem::MaybeUninit;

use thiserror::Error;

use crate::{Envelope, NodeId};

/// Bytes of frame header: the length and the checksum.
pub const FRAME_HEADER_BYTES: usize = 8;

/// Largest payload a frame may carry. A bound on what a receiver must buffer; a length field
/// above it is corrupt (or hostile) by definition.
pub const FRAME_PAYLOAD_BYTES_MAX: usize = 16 << 20;

/// Why a frame was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CodecError {
    /// Fewer bytes than a frame header.
    #[error("frame truncated: {len} bytes, a header needs {FRAME_HEADER_BYTES}")]
    Truncated {
        /// Bytes received.
        len: usize,
    },
    /// The length field disagrees with the bytes received.
    #[error("frame length field says {declared} payload bytes, {actual} received")]
    LengthMismatch {
        /// Payload length in the header.
        declared: usize,
        /// Payload bytes actually present.
        actual: usize,
    },
    /// The length field exceeds [`FRAME_PAYLOAD_BYTES_MAX`].
    #[error("frame payload of {declared} bytes exceeds the limit of {FRAME_PAYLOAD_BYTES_MAX}")]
    TooLarge {
        /// Payload length in the header.
        declared: usize,
    },
    /// The payload does not match its checksum: the frame was damaged in transit.
    #[error("frame checksum mismatch: header {expected:#010x}, payload {actual:#010x}")]
    Checksum {
        /// Checksum in the header.
        expected: u32,
        /// Checksum of the payload received.
        actual: u32,
    },
    /// The payload is not a valid encoded envelope.
    #[error("frame payload does not decode: {0}")]
    Payload(String),
    /// The payload decodes, but names a sender or recipient outside the cluster.
    #[error("frame names node {node}, which is not a member of the cluster")]
    UnknownNode {
        /// The offending id.
        node: NodeId,
    },
}

/// Encodes envelopes into frames and decodes frames, checking them against the cluster.
#[derive(Clone, Debug)]
pub struct FrameCodec {
    /// Ids that may appear as sender or recipient. Invariant: sorted, no duplicates.
    members: Vec<NodeId>,
    /// False only under the injected bug `ignore-checksum`.
    verify_checksum: bool,
}

impl FrameCodec {
    /// A codec for a cluster of `members`. `verify_checksum` is false only to inject the
    /// `ignore-checksum` bug.
    pub fn new(members: &[NodeId], verify_checksum: bool) -> FrameCodec {
        let mut members = members.to_vec();
        members.sort_unstable();
        members.dedup();
        FrameCodec { members, verify_checksum }
    }

    /// Appends the frame for `envelope` to `out` (which may already hold other frames).
    ///
    /// The envelope is serialized straight into `out`, behind a header filled in afterwards:
    /// no scratch buffer to zero, and no second copy of the payload.
    pub fn encode_into(&self, envelope: &Envelope, out: &mut Vec<u8>) {
        let start = out.len();
        out.reserve(FRAME_HEADER_BYTES + encoded_size_bound(envelope));
        out.extend_from_slice(&[0; FRAME_HEADER_BYTES]);
        let spare = SpareCapacity { spare: out.spare_capacity_mut(), written: 0 };
        let written = postcard::serialize_with_flavor(envelope, spare)
            .expect("the bound covers the encoding");
        // SAFETY: the flavor initialised the first `written` bytes of the spare capacity.
        unsafe { out.set_len(start + FRAME_HEADER_BYTES + written) };
        let payload = &out[start + FRAME_HEADER_BYTES..];
        let payload_len = payload.len();
        assert!(payload_len <= FRAME_PAYLOAD_BYTES_MAX, "frame too large: {payload_len}");
        let checksum = crc32c::crc32c(payload);
        out[start..start + 4].copy_from_slice(&(payload_len as u32).to_le_bytes());
        out[start + 4..start + 8].copy_from_slice(&checksum.to_le_bytes());
    }

    /// The frame for `envelope`.
    ///
    /// (See [`FrameCodec::encode_into`] to reuse a buffer.)
    pub fn encode(&self, envelope: &Envelope) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        self.encode_into(envelope, &mut out);
        out
    }

    /// The envelope in `frame`, or why the frame is not acceptable.
    pub fn decode(&self, frame: &[u8]) -> Result<Envelope, CodecError> {
        if frame.len() < FRAME_HEADER_BYTES {
            return Err(CodecError::Truncated { len: frame.len() });
        }
        let declared = u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes")) as usize;
        let expected = u32::from_le_bytes(frame[4..8].try_into().expect("4 bytes"));
        let payload = &frame[FRAME_HEADER_BYTES..];
        if declared > FRAME_PAYLOAD_BYTES_MAX {
            return Err(CodecError::TooLarge { declared });
        }
        if declared != payload.len() {
            return Err(CodecError::LengthMismatch { declared, actual: payload.len() });
        }
        if self.verify_checksum {
            let actual = crc32c::crc32c(payload);
            if actual != expected {
                return Err(CodecError::Checksum { expected, actual });
            }
        }
        let envelope: Envelope = postcard::from_bytes(payload)
            .map_err(|error| CodecError::Payload(error.to_string()))?;
        for node in [envelope.from, envelope.to] {
            if self.members.binary_search(&node).is_err() {
                return Err(CodecError::UnknownNode { node });
            }
        }
        Ok(envelope)
    }

    /// Recomputes a frame's checksum after its payload was changed. Only fault injection does
    /// this: a frame rewritten on the way (by a faulty NIC or a buggy proxy) that still passes
    /// its checksum, which a node must refuse or survive, never panic on.
    pub fn reseal(frame: &mut [u8]) {
        if frame.len() >= FRAME_HEADER_BYTES {
            let checksum = crc32c::crc32c(&frame[FRAME_HEADER_BYTES..]);
            frame[4..8].copy_from_slice(&checksum.to_le_bytes());
        }
    }
}

/// A postcard output into the spare capacity of a `Vec`, reserved beforehand for the whole
/// encoding: no scratch buffer to zero, no second copy of the payload, and no `memcpy` call for
/// each of the short slices (one to ten bytes of varint) that postcard hands over.
struct SpareCapacity<'a> {
    spare: &'a mut [MaybeUninit<u8>],
    written: usize,
}

impl SpareCapacity<'_> {
    /// The next `len` slots, now counted as written.
    #[inline]
    fn claim(&mut self, len: usize) -> postcard::Result<&mut [MaybeUninit<u8>]> {
        let end = self.written + len;
        let slots =
            self.spare.get_mut(self.written..end).ok_or(postcard::Error::SerializeBufferFull)?;
        self.written = end;
        Ok(slots)
    }

    /// Writes `bytes`, whose length is exactly `N`: a copy of constant length, which compiles
    /// to a few moves instead of a `memcpy` call.
    #[inline]
    fn put<const N: usize>(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        let bytes: [u8; N] = bytes.try_into().expect("N is the slice's length");
        for (slot, byte) in self.claim(N)?.iter_mut().zip(bytes) {
            slot.write(byte);
        }
        Ok(())
    }
}

impl postcard::ser_flavors::Flavor for SpareCapacity<'_> {
    /// Bytes written, at the front of the spare capacity.
    type Output = usize;

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.put::<1>(&[byte])
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        // Varints of one to four bytes (tags, terms, lengths, indices) are almost every call;
        // longer slices (payloads) are copied in one.
        match bytes.len() {
            1 => self.put::<1>(bytes),
            2 => self.put::<2>(bytes),
            3 => self.put::<3>(bytes),
            4 => self.put::<4>(bytes),
            len => {
                for (slot, &byte) in self.claim(len)?.iter_mut().zip(bytes) {
                    slot.write(byte);
                }
                Ok(())
            }
        }
    }

    fn finalize(self) -> postcard::Result<usize> {
        Ok(self.written)
    }
}

/// An upper bound of `envelope`'s postcard encoding: every integer at its widest varint (10
/// bytes for a u64, 5 for an enum tag), plus the payloads and their length prefixes.
fn encoded_size_bound(envelope: &Envelope) -> usize {
    const VARINT_MAX: usize = 10;
    const TAG_MAX: usize = 5;
    // Sender, recipient, up to three enum tags and an option tag, and at most six integers.
    const FIXED: usize = 2 * VARINT_MAX + 3 * TAG_MAX + 1 + 6 * VARINT_MAX;
    match &envelope.message {
        crate::Message::AppendEntries(append) => {
            FIXED
                + append
                    .entries
                    .iter()
                    .map(|entry| {
                        // Index, term, data tag, payload length prefix, payload.
                        3 * VARINT_MAX
                            + TAG_MAX
                            + match &entry.data {
                                crate::EntryData::Noop => 0,
                                crate::EntryData::Command(bytes)
                                | crate::EntryData::Config(bytes) => bytes.len(),
                            }
                    })
                    .sum::<usize>()
        }
        // The chunk's and the configuration's length prefixes and bytes, and the `done` flag.
        crate::Message::InstallSnapshot(chunk) => {
            FIXED + 2 * VARINT_MAX + chunk.data.len() + 1 + chunk.membership.len()
        }
        _ => FIXED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Message, RequestVoteResponse};

    fn sample() -> Envelope {
        Envelope {
            from: 1,
            to: 2,
            message: Message::RequestVoteResponse(RequestVoteResponse { term: 7, granted: true }),
        }
    }

    #[test]
    fn round_trip() {
        let codec = FrameCodec::new(&[1, 2, 3], true);
        let frame = codec.encode(&sample());
        assert_eq!(codec.decode(&frame), Ok(sample()));
    }

    #[test]
    fn encode_into_appends_behind_earlier_frames() {
        let codec = FrameCodec::new(&[1, 2, 3], true);
        let mut out = vec![0xAA; 3];
        codec.encode_into(&sample(), &mut out);
        assert_eq!(&out[..3], &[0xAA; 3]);
        assert_eq!(out[3..], codec.encode(&sample()));
        assert_eq!(codec.decode(&out[3..]), Ok(sample()));
    }

    #[test]
    fn rejects_unknown_sender() {
        let codec = FrameCodec::new(&[2, 3], true);
        let frame = codec.encode(&sample());
        assert_eq!(codec.decode(&frame), Err(CodecError::UnknownNode { node: 1 }));
    }

    #[test]
    fn rejects_truncated_and_padded_frames() {
        let codec = FrameCodec::new(&[1, 2], true);
        let frame = codec.encode(&sample());
        assert!(matches!(codec.decode(&frame[..5]), Err(CodecError::Truncated { len: 5 })));
        assert!(matches!(
            codec.decode(&frame[..frame.len() - 1]),
            Err(CodecError::LengthMismatch { .. })
        ));
        let mut padded = frame.clone();
        padded.push(0);
        assert!(matches!(codec.decode(&padded), Err(CodecError::LengthMismatch { .. })));
    }

    #[test]
    fn checksum_is_skipped_only_when_told() {
        let mut frame = FrameCodec::new(&[1, 2], true).encode(&sample());
        let last = frame.len() - 1;
        frame[last] ^= 0x01; // flips `granted`: still a valid payload
        let strict = FrameCodec::new(&[1, 2], true);
        assert!(matches!(strict.decode(&frame), Err(CodecError::Checksum { .. })));
        let lax = FrameCodec::new(&[1, 2], false);
        assert!(lax.decode(&frame).is_ok());
    }
}
