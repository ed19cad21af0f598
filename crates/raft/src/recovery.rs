//! Recovery from a damaged log: what a server owes the cluster after its storage lost records
//! it may have acknowledged.
//!
//! A record that a leader counted toward a quorum is part of a commitment: a majority holds it,
//! so every later leader is elected by a voter that holds it (§5.4). A server whose disk
//! corrupted that record — and whose storage reads the log only up to the first bad record,
//! as it must — no longer holds it, but its vote still counts: treat the corruption as the end
//! of the log and it may help elect a leader without the committed entry (Alagappan et al.,
//! "Protocol-Aware Recovery for Consensus-Based Storage", FAST '18). A *torn tail* is different:
//! a write cut short by a crash was never durable, so never acknowledged, and truncating it is
//! safe; storage tells the two apart and reports only the first kind, as [`LogDamage`].
//!
//! The rule here: a damaged server neither votes nor campaigns (nor answers PreVotes) until
//! its durable log has been repaired past the damage. It still acknowledges appends — an
//! acknowledgement states what is durable now, which stays true — so a leader rewrites its log.
//! A leader that counted the lost records as matched learns of the loss when the server refuses
//! its current probe with a log that ends before them; it forgets them and probes from there
//! (probing past them again would be refused again, at once, for as long as it leads).
//!
//! Why this is safe: every entry the server lost was of a term at most `damage.term` and at an
//! index at most `damage.through`. Its log is repaired when it durably reaches `through` again
//! or ends in an entry of a later term. Its current term is at least `damage.term` (the hard
//! state survived), so it accepts appends only from leaders of that term or later. A leader of
//! exactly `damage.term` holds every entry this server acknowledged in that term (they came
//! from it) and, by Leader Completeness, every entry committed before it; a leader of a later
//! term holds every entry committed before its term, and its entries of its own term sit after
//! them in its log. Either way, by Log Matching, a log repaired as above holds every committed
//! entry the server lost, and its vote is as safe as any intact server's. Until then, it does
//! not count toward an election: the others must form a majority without it, and since faults
//! never damage the same entry on a majority, one of them holds each committed entry.

use crate::{Index, Node, Term};

/// Log records a server's storage found corrupted at restart, by their checksums: records that
/// were durable, so may have been acknowledged. The log the storage hands back ends before
/// `from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogDamage {
    /// The first corrupted record's index.
    pub from: Index,
    /// The log's last index when the damage was found: any record up to it may be lost.
    pub through: Index,
    /// The durable term when the damage was found: no lost record is of a later term.
    pub term: Term,
}

impl LogDamage {
    /// Whether a durable log ending at (`last_index`, `last_term`) holds again everything the
    /// damage may have cost: it reaches `through`, or it ends in an entry of a later term.
    pub fn is_repaired_by(&self, last_index: Index, last_term: Term) -> bool {
        last_index >= self.through || last_term > self.term
    }
}

impl Node {
    /// The damage this server's log still carries, if any: while it does, the server neither
    /// votes nor campaigns.
    pub fn log_damage(&self) -> Option<LogDamage> {
        self.damage
    }

    /// Whether this server may take part in elections: not while its log is damaged.
    pub(crate) fn may_elect(&self) -> bool {
        self.damage.is_none()
    }

    /// Clears the damage once the durable log has been repaired past it.
    pub(crate) fn maybe_repaired(&mut self) {
        let Some(damage) = self.damage else { return };
        let last_term = self.log.term(self.stable_index).unwrap_or(0);
        if damage.is_repaired_by(self.stable_index, last_term) {
            self.damage = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repaired_by_reaching_the_damage_again_or_by_a_later_term() {
        let damage = LogDamage { from: 5, through: 9, term: 3 };
        assert!(!damage.is_repaired_by(8, 3));
        assert!(!damage.is_repaired_by(4, 2));
        assert!(damage.is_repaired_by(9, 3));
        assert!(damage.is_repaired_by(6, 4));
    }
}
