//! raft-rs messages on the wire: `[length: u32 LE][crc32c: u32 LE][protobuf]`, the same frame
//! layout as raftsim's own codec, so that a bit flip anywhere is caught by the checksum or the
//! length.

use protobuf::Message as _;
use raft::eraftpb::Message;
use raftsim_sim::raft_under_test::DecodeError;

const HEADER_BYTES: usize = 8;

/// Largest payload accepted; a length field above it is damage.
const PAYLOAD_BYTES_MAX: usize = 16 << 20;

/// Encodes `message` into `frame` (cleared first).
pub fn encode(message: &Message, frame: &mut Vec<u8>) {
    frame.clear();
    frame.extend_from_slice(&[0; HEADER_BYTES]);
    message.write_to_vec(frame).expect("a raft-rs message encodes");
    let payload_len = frame.len() - HEADER_BYTES;
    let checksum = crc32c::crc32c(&frame[HEADER_BYTES..]);
    frame[..4].copy_from_slice(&(payload_len as u32).to_le_bytes());
    frame[4..8].copy_from_slice(&checksum.to_le_bytes());
}

/// Decodes a frame, refusing a damaged or malformed one.
pub fn decode(frame: &[u8]) -> Result<Message, DecodeError> {
    if frame.len() < HEADER_BYTES {
        return Err(DecodeError(format!("frame truncated: {} bytes", frame.len())));
    }
    let declared = u32::from_le_bytes(frame[..4].try_into().expect("four bytes")) as usize;
    let payload = &frame[HEADER_BYTES..];
    if declared > PAYLOAD_BYTES_MAX || declared != payload.len() {
        return Err(DecodeError(format!(
            "frame length field says {declared} bytes, {} received",
            payload.len()
        )));
    }
    let expected = u32::from_le_bytes(frame[4..8].try_into().expect("four bytes"));
    let actual = crc32c::crc32c(payload);
    if expected != actual {
        return Err(DecodeError(format!(
            "frame checksum mismatch: header {expected:#010x}, payload {actual:#010x}"
        )));
    }
    Message::parse_from_bytes(payload)
        .map_err(|error| DecodeError(format!("frame payload does not decode: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft::eraftpb::MessageType;

    #[test]
    fn frames_round_trip_and_every_single_bit_flip_is_refused() {
        let mut message = Message::default();
        message.set_msg_type(MessageType::MsgAppend);
        (message.from, message.to, message.term, message.index) = (1, 2, 3, 4);
        let mut frame = Vec::new();
        encode(&message, &mut frame);
        assert_eq!(decode(&frame), Ok(message));
        for bit in 0..frame.len() * 8 {
            let mut damaged = frame.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(&damaged).is_err(), "bit {bit} flipped and accepted");
        }
        assert!(decode(&frame[..5]).is_err());
    }
}
