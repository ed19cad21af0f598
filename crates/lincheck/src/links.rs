//! A doubly linked list over the numbers `0..n`, kept in arrays, from which members are
//! unlinked and relinked in last-out-first-in order (Knuth's dancing links). The search unlinks
//! an operation when it linearizes it and relinks it when it backtracks, each in O(1), and the
//! list's head is always the first operation not yet linearized.

/// The list. Invariant: `next` and `prev` describe one cycle through the sentinel `n` and the
/// members still linked, in increasing order of their numbers.
#[derive(Clone, Debug)]
pub(crate) struct Links {
    next: Vec<u32>,
    prev: Vec<u32>,
}

impl Links {
    /// The list `0, 1, …, len - 1`.
    pub(crate) fn new(len: u32) -> Self {
        let sentinel = len as usize;
        let mut next: Vec<u32> = (1..=len).collect();
        next.push(0);
        let mut prev: Vec<u32> = Vec::with_capacity(sentinel + 1);
        prev.push(len);
        prev.extend(0..len);
        Self { next, prev }
    }

    fn sentinel(&self) -> u32 {
        (self.next.len() - 1) as u32
    }

    /// The first member still linked.
    pub(crate) fn first(&self) -> Option<u32> {
        self.after(self.sentinel())
    }

    /// The member linked after `member` (or after the head, for the sentinel).
    pub(crate) fn after(&self, member: u32) -> Option<u32> {
        let next = self.next[member as usize];
        (next != self.sentinel()).then_some(next)
    }

    /// Unlinks `member`, which must be linked.
    pub(crate) fn unlink(&mut self, member: u32) {
        let (prev, next) = (self.prev[member as usize], self.next[member as usize]);
        debug_assert!(self.next[prev as usize] == member, "{member} is not linked");
        self.next[prev as usize] = next;
        self.prev[next as usize] = prev;
    }

    /// Relinks `member`, which must be the member unlinked last among those still unlinked.
    pub(crate) fn relink(&mut self, member: u32) {
        let (prev, next) = (self.prev[member as usize], self.next[member as usize]);
        debug_assert!(self.next[prev as usize] == next, "{member} is not the last one unlinked");
        self.next[prev as usize] = member;
        self.prev[next as usize] = member;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(links: &Links) -> Vec<u32> {
        std::iter::successors(links.first(), |&member| links.after(member)).collect()
    }

    #[test]
    fn unlinking_and_relinking_in_reverse_order_restores_the_list() {
        let mut links = Links::new(4);
        assert_eq!(members(&links), [0, 1, 2, 3]);
        links.unlink(0);
        links.unlink(2);
        assert_eq!(members(&links), [1, 3]);
        assert_eq!(links.first(), Some(1));
        links.relink(2);
        links.relink(0);
        assert_eq!(members(&links), [0, 1, 2, 3]);
        let mut empty = Links::new(1);
        empty.unlink(0);
        assert_eq!(empty.first(), None);
    }
}
