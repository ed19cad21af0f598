//! Client traffic on the wire: a client's request, a server's answer, and a write a follower
//! forwards to its leader, each a checksummed frame that the simulated network carries like
//! any other — and may lose, duplicate, delay or damage.
//!
//! A frame is `[length: u32 LE][crc32c: u32 LE][payload]`, the layout of the Rafts' own frames,
//! so a flipped bit is caught the same way. A request names only its client and sequence
//! number: the operation it carries is the one the client drew for it (the simulator keeps it
//! in the workload rather than copying it onto every retry); a forwarded write carries its whole
//! command, since the follower may have rewritten it.

use crate::event::Reply;
use crate::kv::{self, KvOutput, Reader};
use crate::raft_under_test::{NodeId, Payload};
use raftsim_raft::{FRAME_HEADER_BYTES as HEADER_BYTES, FrameCodec};

/// What a client frame says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientFrame {
    /// A client's request (or a retry of it).
    Request {
        /// The client.
        client: u32,
        /// The request.
        sequence: u64,
    },
    /// A server's answer to a request.
    Reply {
        /// The client.
        client: u32,
        /// The request answered.
        sequence: u64,
        /// The answer.
        reply: Reply,
        /// The store's answer, with [`Reply::Applied`] in the key-value workload.
        output: Option<KvOutput>,
    },
    /// A write a follower forwards to its leader, to be proposed as it is.
    Forward {
        /// The command.
        command: Payload,
    },
}

/// Encodes `message` into `frame` (cleared first).
pub fn encode(message: &ClientFrame, frame: &mut Vec<u8>) {
    frame.clear();
    frame.resize(HEADER_BYTES, 0);
    match message {
        ClientFrame::Request { client, sequence } => {
            frame.push(0);
            frame.extend_from_slice(&client.to_le_bytes());
            frame.extend_from_slice(&sequence.to_le_bytes());
        }
        ClientFrame::Reply { client, sequence, reply, output } => {
            frame.push(1);
            frame.extend_from_slice(&client.to_le_bytes());
            frame.extend_from_slice(&sequence.to_le_bytes());
            match reply {
                Reply::Applied => frame.push(0),
                Reply::Redirect(None) => frame.push(1),
                Reply::Redirect(Some(leader)) => {
                    frame.push(2);
                    frame.extend_from_slice(&leader.to_le_bytes());
                }
                Reply::Busy => frame.push(3),
            }
            match output {
                None => frame.push(0),
                Some(output) => {
                    frame.push(1);
                    kv::encode_output(output, frame);
                }
            }
        }
        ClientFrame::Forward { command } => {
            frame.push(2);
            frame.extend_from_slice(command);
        }
    }
    let payload_bytes = (frame.len() - HEADER_BYTES) as u32;
    frame[0..4].copy_from_slice(&payload_bytes.to_le_bytes());
    FrameCodec::reseal(frame);
}

/// Decodes a frame, refusing one that is damaged or does not parse.
pub fn decode(frame: &[u8]) -> Result<ClientFrame, String> {
    if frame.len() < HEADER_BYTES {
        return Err(format!("client frame truncated: {} bytes", frame.len()));
    }
    let declared = u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes")) as usize;
    let payload = &frame[HEADER_BYTES..];
    if declared != payload.len() {
        return Err(format!("client frame length {declared}, {} received", payload.len()));
    }
    let expected = u32::from_le_bytes(frame[4..8].try_into().expect("4 bytes"));
    if crc32c::crc32c(payload) != expected {
        return Err("client frame checksum mismatch".to_owned());
    }
    let mut reader = Reader(payload);
    let message = match reader.byte() {
        Some(0) => {
            ClientFrame::Request { client: field(reader.u32())?, sequence: field(reader.u64())? }
        }
        Some(1) => {
            let client = field(reader.u32())?;
            let sequence = field(reader.u64())?;
            let reply = match reader.byte() {
                Some(0) => Reply::Applied,
                Some(1) => Reply::Redirect(None),
                Some(2) => Reply::Redirect(Some(field(reader.u64())? as NodeId)),
                Some(3) => Reply::Busy,
                _ => return Err("client frame: unknown reply".to_owned()),
            };
            let output = match reader.byte() {
                Some(0) => None,
                Some(1) => Some(field(reader.output())?),
                _ => return Err("client frame: bad output flag".to_owned()),
            };
            ClientFrame::Reply { client, sequence, reply, output }
        }
        Some(2) => {
            let command = Payload::from_slice(reader.0);
            reader.0 = &[];
            ClientFrame::Forward { command }
        }
        _ => return Err("client frame: unknown kind".to_owned()),
    };
    if !reader.0.is_empty() {
        return Err("client frame: trailing bytes".to_owned());
    }
    Ok(message)
}

fn field<T>(value: Option<T>) -> Result<T, String> {
    value.ok_or_else(|| "client frame: truncated field".to_owned())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn frames() -> Vec<ClientFrame> {
        vec![
            ClientFrame::Request { client: 3, sequence: 17 },
            ClientFrame::Reply {
                client: 1,
                sequence: 2,
                reply: Reply::Applied,
                output: Some(KvOutput::Get { value: Some(vec![4, 5]) }),
            },
            ClientFrame::Reply {
                client: 1,
                sequence: 2,
                reply: Reply::Redirect(Some(4)),
                output: None,
            },
            ClientFrame::Reply {
                client: 1,
                sequence: 2,
                reply: Reply::Redirect(None),
                output: None,
            },
            ClientFrame::Reply { client: 0, sequence: 9, reply: Reply::Busy, output: None },
            ClientFrame::Forward {
                command: Payload::from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
            },
        ]
    }

    #[test]
    fn every_kind_round_trips() {
        let mut frame = Vec::new();
        for message in frames() {
            encode(&message, &mut frame);
            assert_eq!(decode(&frame), Ok(message));
        }
    }

    proptest! {
        /// Up to three flipped bits anywhere are always refused (CRC-32C's guarantee, and the
        /// length check for the header).
        #[test]
        fn damaged_frames_are_refused(which in 0..6usize, bits in prop::collection::btree_set(0..4096usize, 1..=3)) {
            let mut frame = Vec::new();
            encode(&frames()[which], &mut frame);
            let total = frame.len() * 8;
            let bits: std::collections::BTreeSet<usize> = bits.into_iter().map(|bit| bit % total).collect();
            for bit in &bits {
                frame[bit / 8] ^= 1 << (bit % 8);
            }
            prop_assert!(decode(&frame).is_err());
        }

        /// Arbitrary bytes never panic the decoder.
        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }
}
