//! The order of writes a value gives away.
//!
//! A key's value is the value of its last `put` (or swap) followed by the tokens appended since,
//! in the order they were appended. So when a completed operation sees a value — a `get`
//! returns it, or a swapped compare-and-swap expected it — two neighbouring tokens written by
//! two different writes, each the only write of its token, say that the first write took
//! effect before the second, in every linearization. Handing those pairs to the search spares
//! it trying every order of appends that overlap in time: without them, it learns an order is
//! wrong only at the next read, and a handful of overlapping appends has many orders.

use std::collections::BTreeMap;

use super::{KvInput, KvOutput, Token};
use crate::history::{Operation, Return};

/// The pairs (earlier write, later write) of positions in `history` (one key's operations).
pub(super) fn known_order(history: &[&Operation<KvInput, KvOutput>]) -> Vec<(usize, usize)> {
    let mut writers: BTreeMap<Token, Vec<usize>> = BTreeMap::new();
    for (position, operation) in history.iter().enumerate() {
        for &token in operation.input.written().unwrap_or_default() {
            let positions = writers.entry(token).or_default();
            if positions.last() != Some(&position) {
                positions.push(position);
            }
        }
    }
    let only_writer = |token: &Token| match writers.get(token).map(Vec::as_slice) {
        Some(&[position]) => Some(position),
        _ => None,
    };
    let mut pairs = Vec::new();
    for operation in history {
        let seen = match (&operation.input, &operation.outcome) {
            (_, Some(Return { output: KvOutput::Get { value: Some(value) }, .. })) => value,
            (
                KvInput::Cas { expected: Some(expected), .. },
                Some(Return { output: KvOutput::Cas { swapped: true }, .. }),
            ) => expected,
            _ => continue,
        };
        for neighbours in seen.windows(2) {
            if let (Some(first), Some(second)) =
                (only_writer(&neighbours[0]), only_writer(&neighbours[1]))
                && first != second
            {
                pairs.push((first, second));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbouring_tokens_of_different_writes_order_the_writes() {
        let append = |token: Token| {
            let input = KvInput::Append { key: 0, value: vec![token] };
            Operation::completed(1, input, 0, KvOutput::Append, 100)
        };
        let put = Operation::completed(
            1,
            KvInput::Put { key: 0, value: vec![1, 2] },
            0,
            KvOutput::Put,
            100,
        );
        let read = |value: Vec<Token>| {
            let output = KvOutput::Get { value: Some(value) };
            Operation::completed(2, KvInput::Get { key: 0 }, 200, output, 300)
        };
        let twice = append(4);
        let history = [put, append(3), append(4), twice, read(vec![1, 2, 3, 4])];
        let history: Vec<&Operation<KvInput, KvOutput>> = history.iter().collect();
        assert_eq!(known_order(&history), [(0, 1)], "4 has two writers: it says nothing");
    }
}
