//! The sequential specification a history is checked against.

use std::fmt::Debug;
use std::hash::Hash;

use crate::history::{Operation, Time};

/// A sequential specification: how an object answers operations one at a time.
///
/// A history is linearizable with respect to a model if its operations can be put in one
/// sequence that respects real time (an operation that returned before another was called
/// comes first) and in which each operation's output is what [`Model::step`] allows from the
/// state the operations before it left.
///
/// Models must be deterministic functions of their arguments: the checker's verdict, its
/// witness and its step counts are then reproducible.
pub trait Model {
    /// The object's state. Hashed and compared to remember which (operations linearized, state)
    /// pairs the search has already explored, so it should be cheap to hash, compare and clone.
    type State: Clone + Eq + Hash + Debug;
    /// What a client asks.
    type Input: Clone + Debug;
    /// What a client hears back.
    type Output: Clone + Debug;
    /// Names an independent part of the object (a key of a key-value store).
    type Partition: Clone + Ord + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `input` takes effect in `state` and answers `output`; `None` if it could
    /// not have answered that from this state.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: &Self::Output,
    ) -> Option<Self::State>;

    /// The state after `input` takes effect in `state` when nobody saw its answer (a
    /// maybe-applied operation): every output is acceptable. `None` if it cannot take effect in
    /// this state at all. A model whose operations have several possible effects should make
    /// its state the set of possible states, as Porcupine's nondeterministic models do.
    fn step_unobserved(&self, state: &Self::State, input: &Self::Input) -> Option<Self::State>;

    /// The part of the object `input` touches. Operations on different parts must be
    /// independent — no operation's output may depend on another part — because each part is
    /// checked on its own (P-compositionality, Herlihy and Wing's locality): the history is
    /// linearizable if and only if each part's sub-history is. [`Model::step`] is only ever
    /// applied to operations of one part, from [`Model::init`].
    fn partition(&self, input: &Self::Input) -> Self::Partition;

    /// Tightens one part's maybe-applied operations with what the model knows about its own
    /// semantics, before the search starts; one [`Refinement`] per operation of `history` (the
    /// part's operations in history order). The search cost grows quickly with the number of
    /// maybe-applied operations, because each may take effect anywhere after its call; a model
    /// that can tell that one certainly took effect by some time, or can never matter, removes
    /// that freedom.
    ///
    /// A refinement must be exact: the refined history is linearizable if and only if the
    /// original is. Refinements of completed operations are ignored, and so is a
    /// [`Refinement::TookEffect`] whose times are out of order; positions in a
    /// [`Refinement::OnlyJustBefore`] that are not completed operations are ignored. The default
    /// keeps everything.
    fn refine(
        &self,
        history: &[&Operation<Self::Input, Self::Output>],
    ) -> Vec<Refinement<Self::Output>> {
        vec![Refinement::Keep; history.len()]
    }

    /// Pairs `(a, b)` of positions in `history` (one part's operations, in history order) such
    /// that in every linearization, if `b` took effect, `a` took effect before it — an order
    /// the outputs give away, such as the order of appends a read returned. The search then
    /// never tries `b` before `a`, which saves it trying every order of operations whose
    /// intervals overlap. Like [`Model::refine`], it must be exact: wrong pairs can hide a
    /// linearization. The default gives none.
    fn known_order(
        &self,
        history: &[&Operation<Self::Input, Self::Output>],
    ) -> Vec<(usize, usize)> {
        let _ = history;
        Vec::new()
    }

    /// What each operation's recorded output shows that other operations did, for shrinking
    /// witnesses. For each operation of `history` (one part's operations, in history order),
    /// groups of positions in `history`: its output can only be right if, from each group, some
    /// operation took effect — for a read, the writes of what it returned.
    ///
    /// Shrinking removes operations while the rest stays not linearizable, and never keeps an
    /// operation without some operation of each of its groups: removing the last one removes it
    /// too. Otherwise a stale read would shrink to the read alone, a read of "a value nobody
    /// wrote" once the write of it is removed — true of the witness, and misleading about the
    /// history. The default, no groups, shrinks by plain removal.
    fn sources(&self, history: &[&Operation<Self::Input, Self::Output>]) -> Vec<Vec<Vec<usize>>> {
        vec![Vec::new(); history.len()]
    }

    /// Names a part in reports.
    fn describe_partition(&self, partition: &Self::Partition) -> String {
        format!("{partition:?}")
    }

    /// Describes an operation in reports; `output` is `None` for a maybe-applied one.
    fn describe_operation(&self, input: &Self::Input, output: Option<&Self::Output>) -> String {
        match output {
            Some(output) => format!("{input:?} -> {output:?}"),
            None => format!("{input:?} -> ?"),
        }
    }

    /// Describes a state in reports.
    fn describe_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }
}

/// What a model knows about one maybe-applied operation (see [`Model::refine`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refinement<O> {
    /// Nothing more: it may have taken effect at any point after its call, or never.
    Keep,
    /// Whether or not it took effect can change no output in the history: it is left out.
    Drop,
    /// It certainly took effect, answering `output`, no earlier than `after_us` and no later
    /// than `by_us`: it is checked as an operation called at `after_us` (or its call, if
    /// later) that returned `output` at `by_us`.
    TookEffect {
        /// What it must have answered.
        output: O,
        /// The earliest time it can have taken effect.
        after_us: Time,
        /// The latest time it can have taken effect.
        by_us: Time,
    },
    /// If some linearization exists, one exists in which this operation either never took
    /// effect or took effect immediately before one of these completed operations (positions in
    /// the slice given to [`Model::refine`]): the search tries it only there. An operation whose
    /// only use is to change the state one particular kind of operation sees — for a
    /// key-value store, a write nobody read, which can only have made a compare-and-swap fail —
    /// then costs the search nothing elsewhere. An empty list is [`Refinement::Drop`].
    ///
    /// Operations refined so must also be interchangeable: wherever one of them took effect,
    /// any other that could have (called by then, not yet taken effect, that position among
    /// its own) could have instead, the rest unchanged. The search tries only the earliest
    /// called at each point.
    OnlyJustBefore(Vec<usize>),
}
