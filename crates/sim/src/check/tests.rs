//! Hand-built histories for each checker: a violating one is caught, a legal one is not.
//!
//! A fake three-node cluster holds each node's state, its durable log with chained prefix hashes
//! and its state machine. The harness changes one node per step and hands the checker the same
//! `Change` the simulator would: the log write, and the entries the node applies as its commit
//! index advances (re-applied from index 1 after a restart, as a fresh state machine does).

use std::ops::RangeInclusive;

use raftsim_raft::{Entry, EntryData, Index, NodeId, Payload, RoleKind, Term};

use super::{Change, Checker, ClusterView, CommitRecord, NodeState, Observed, Property, Violation};
use crate::hash::chain_entry;

type Checked = Result<(), Box<Violation>>;

const NODES: usize = 3;

/// One fake server.
struct FakeNode {
    state: NodeState,
    /// Its durable log. Invariant: `log[i].index == i + 1`.
    log: Vec<Entry>,
    /// Chained prefix hashes of `log`, as `Disk::persist` computes them.
    prefix: Vec<u64>,
    /// Its state machine: index and chained hash of the last applied entry.
    applied: (Index, u64),
}

struct FakeCluster(Vec<FakeNode>);

impl ClusterView for FakeCluster {
    fn node_ids(&self) -> RangeInclusive<NodeId> {
        1..=self.0.len() as NodeId
    }

    fn node_state(&self, node: NodeId) -> NodeState {
        self.0[node as usize - 1].state
    }

    fn prefix(&self, node: NodeId) -> &[u64] {
        &self.0[node as usize - 1].prefix
    }
}

struct Harness {
    cluster: FakeCluster,
    checker: Checker,
}

impl Harness {
    fn new() -> Harness {
        let checker = Checker::new(NODES);
        let nodes = (1..=NODES as NodeId)
            .map(|node| FakeNode {
                state: checker.previous(node),
                log: Vec::new(),
                prefix: Vec::new(),
                applied: (0, 0),
            })
            .collect();
        Harness { cluster: FakeCluster(nodes), checker }
    }

    fn node_mut(&mut self, node: NodeId) -> &mut FakeNode {
        &mut self.cluster.0[node as usize - 1]
    }

    /// One step at `node`: `edit` changes its state, then the checker observes it.
    fn step(&mut self, node: NodeId, edit: impl FnOnce(&mut NodeState)) -> Checked {
        edit(&mut self.node_mut(node).state);
        self.observe(node, false, None, &[])
    }

    fn campaign(&mut self, node: NodeId, term: Term) -> Checked {
        self.step(node, |state| {
            (state.role, state.term, state.vote) = (RoleKind::Candidate, term, Some(node));
        })
    }

    fn lead(&mut self, node: NodeId, term: Term) -> Checked {
        self.step(node, |state| {
            (state.role, state.term, state.vote) = (RoleKind::Leader, term, Some(node));
        })
    }

    fn follow(&mut self, node: NodeId, term: Term, vote: Option<NodeId>) -> Checked {
        self.step(node, |state| {
            (state.role, state.term, state.vote) = (RoleKind::Follower, term, vote)
        })
    }

    fn commit(&mut self, node: NodeId, commit_index: Index) -> Checked {
        self.step(node, |state| state.commit_index = commit_index)
    }

    /// Persists a log write at `node`: entries from `from` on are replaced by `entries`.
    fn write(&mut self, node: NodeId, from: Index, entries: &[Entry]) -> Checked {
        let fake = self.node_mut(node);
        let keep = from as usize - 1;
        assert!(keep <= fake.log.len(), "a write starts at most one past the log");
        fake.log.truncate(keep);
        fake.prefix.truncate(keep);
        for entry in entries {
            assert_eq!(entry.index as usize, fake.log.len() + 1, "written entries are contiguous");
            let previous = fake.prefix.last().copied().unwrap_or(0);
            fake.prefix.push(chain_entry(previous, entry));
            fake.log.push(entry.clone());
        }
        fake.state.last_index = fake.log.len() as Index;
        self.observe(node, false, Some(from), entries)
    }

    fn append(&mut self, node: NodeId, entries: &[Entry]) -> Checked {
        let from = self.node_mut(node).state.last_index + 1;
        self.write(node, from, entries)
    }

    /// `node`'s state machine applies `entries` in a step that changes nothing else (as a node
    /// handing the driver entries other than its committed log would).
    fn apply(&mut self, node: NodeId, entries: &[Entry]) -> Checked {
        let fake = self.node_mut(node);
        let applied: Vec<(Index, u64)> = entries
            .iter()
            .map(|entry| {
                fake.applied = (entry.index, chain_entry(fake.applied.1, entry));
                fake.applied
            })
            .collect();
        self.checker
            .observe(&self.cluster, &Change { node, applied: &applied, ..Change::default() })
    }

    /// `node` crashes: it keeps its term, vote and log, its commit index falls back to
    /// `durable_commit`, and its state machine is lost.
    fn crash(&mut self, node: NodeId, durable_commit: Index) {
        let fake = self.node_mut(node);
        fake.state.up = false;
        fake.state.role = RoleKind::Follower;
        fake.state.commit_index = durable_commit;
        fake.applied = (0, 0);
        let durable = fake.state;
        self.checker.observe_crash(node, durable);
    }

    /// `node` restarts from its disk; `edit` models what its disk got wrong.
    fn restart(&mut self, node: NodeId, edit: impl FnOnce(&mut NodeState)) -> Checked {
        let state = &mut self.node_mut(node).state;
        state.up = true;
        edit(state);
        self.observe(node, true, None, &[])
    }

    /// Applies what `node` newly committed, then runs the checker on the step.
    fn observe(
        &mut self,
        node: NodeId,
        restarted: bool,
        written_from: Option<Index>,
        written: &[Entry],
    ) -> Checked {
        let fake = &mut self.cluster.0[node as usize - 1];
        let applicable = fake.state.commit_index.min(fake.log.len() as Index);
        let mut applied = Vec::new();
        while fake.applied.0 < applicable {
            let entry = &fake.log[fake.applied.0 as usize];
            fake.applied = (entry.index, chain_entry(fake.applied.1, entry));
            applied.push(fake.applied);
        }
        let change = Change { node, restarted, written_from, written, applied: &applied };
        self.checker.observe(&self.cluster, &change)
    }
}

/// A command entry.
fn e(index: Index, term: Term, data: &str) -> Entry {
    Entry { index, term, data: EntryData::Command(Payload::from_slice(data.as_bytes())) }
}

fn noop(index: Index, term: Term) -> Entry {
    Entry { index, term, data: EntryData::Noop }
}

type History = fn(&mut Harness) -> Checked;

/// A violating history: `setup` is legal, `last` is the step that must be caught.
struct Caught {
    name: &'static str,
    setup: History,
    last: History,
    property: Property,
    nodes: &'static [NodeId],
    index: Option<Index>,
}

fn assert_caught(cases: &[Caught]) {
    for case in cases {
        let mut harness = Harness::new();
        if let Err(violation) = (case.setup)(&mut harness) {
            panic!("{}: the legal setup was flagged: {violation:?}", case.name);
        }
        let Err(violation) = (case.last)(&mut harness) else {
            panic!("{}: {} was not caught", case.name, case.property);
        };
        assert_eq!(
            (violation.property, violation.nodes.as_slice(), violation.index),
            (case.property, case.nodes, case.index),
            "{}: {}",
            case.name,
            violation.detail
        );
    }
}

/// Legal histories: no step may be flagged.
fn assert_legal(cases: &[(&str, History)]) {
    for (name, history) in cases {
        if let Err(violation) = history(&mut Harness::new()) {
            panic!("{name}: false alarm: {violation:?}");
        }
    }
}

#[test]
fn election_safety_catches_a_second_leader_in_a_term() {
    assert_caught(&[
        Caught {
            name: "two leaders in one term",
            setup: |h| h.lead(1, 2),
            last: |h| h.lead(2, 2),
            property: Property::ElectionSafety,
            nodes: &[1, 2],
            index: None,
        },
        Caught {
            name: "second leader after the first crashed",
            setup: |h| {
                h.lead(1, 2)?;
                h.crash(1, 0);
                h.restart(1, |_| {})
            },
            last: |h| h.lead(2, 2),
            property: Property::ElectionSafety,
            nodes: &[1, 2],
            index: None,
        },
        Caught {
            name: "second leader after the first stepped down",
            setup: |h| {
                h.lead(1, 2)?;
                h.follow(1, 3, None)
            },
            last: |h| h.lead(3, 2),
            property: Property::ElectionSafety,
            nodes: &[1, 3],
            index: None,
        },
    ]);
}

#[test]
fn election_safety_allows_one_leader_per_term() {
    assert_legal(&[
        ("same leader re-observed in its term", |h| {
            h.lead(1, 2)?;
            h.lead(1, 2)?;
            h.append(1, &[noop(1, 2)])?;
            h.follow(1, 2, Some(1))?;
            h.lead(1, 2)
        }),
        ("a different leader in each term", |h| {
            h.lead(1, 1)?;
            h.lead(2, 2)?;
            h.lead(3, 3)?;
            h.lead(1, 4)
        }),
        ("a leader of an older term elected late", |h| {
            h.lead(1, 3)?;
            h.lead(2, 2)
        }),
    ]);
}

#[test]
fn leader_append_only_catches_a_leader_rewriting_its_log() {
    assert_caught(&[
        Caught {
            name: "leader truncates its tail",
            setup: |h| {
                h.lead(1, 1)?;
                h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])
            },
            last: |h| h.write(1, 2, &[]),
            property: Property::LeaderAppendOnly,
            nodes: &[1],
            index: Some(2),
        },
        Caught {
            name: "leader overwrites its entry with one from an older term",
            setup: |h| {
                h.lead(1, 2)?;
                h.append(1, &[e(1, 2, "a"), e(2, 2, "b")])
            },
            last: |h| h.write(1, 2, &[e(2, 1, "z"), e(3, 1, "y")]),
            property: Property::LeaderAppendOnly,
            nodes: &[1],
            index: Some(2),
        },
    ]);
}

#[test]
fn leader_append_only_allows_appends_and_rewrites_outside_a_reign() {
    assert_legal(&[
        ("leader appends", |h| {
            h.lead(1, 1)?;
            h.append(1, &[e(1, 1, "a")])?;
            h.append(1, &[e(2, 1, "b"), e(3, 1, "c")])
        }),
        ("deposed leader truncates as a follower", |h| {
            h.lead(1, 1)?;
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.follow(1, 2, None)?;
            h.write(1, 2, &[e(2, 2, "c")])
        }),
        ("leader of a new term rewrites its old term's tail", |h| {
            h.lead(1, 1)?;
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.node_mut(1).state.term = 2;
            h.write(1, 2, &[noop(2, 2)])
        }),
        ("a crashed leader restarts and truncates as a follower", |h| {
            h.lead(1, 1)?;
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.crash(1, 0);
            h.restart(1, |_| {})?;
            h.write(1, 1, &[e(1, 2, "c")])
        }),
    ]);
}

#[test]
fn log_matching_catches_logs_that_agree_on_an_entry_but_not_before_it() {
    assert_caught(&[
        Caught {
            name: "same (index, term), different earlier entries",
            setup: |h| h.append(1, &[e(1, 1, "a"), e(2, 2, "b")]),
            last: |h| h.append(2, &[e(1, 3, "c"), e(2, 2, "b")]),
            property: Property::LogMatching,
            nodes: &[2],
            index: Some(2),
        },
        Caught {
            name: "same (index, term), different entry",
            setup: |h| h.append(1, &[e(1, 1, "a")]),
            last: |h| h.append(2, &[e(1, 1, "z")]),
            property: Property::LogMatching,
            nodes: &[2],
            index: Some(1),
        },
        Caught {
            name: "remembered after the first log dropped the entry",
            setup: |h| {
                h.append(1, &[e(1, 1, "a"), e(2, 2, "b")])?;
                h.write(1, 1, &[e(1, 4, "d")])
            },
            last: |h| h.append(3, &[e(1, 3, "c"), e(2, 2, "b")]),
            property: Property::LogMatching,
            nodes: &[3],
            index: Some(2),
        },
        Caught {
            name: "conflict on the second term written at an index",
            setup: |h| {
                h.append(1, &[e(1, 1, "a")])?;
                h.append(2, &[e(1, 2, "b")])
            },
            last: |h| h.append(3, &[e(1, 2, "c")]),
            property: Property::LogMatching,
            nodes: &[3],
            index: Some(1),
        },
    ]);
}

#[test]
fn log_matching_allows_different_terms_at_an_index() {
    assert_legal(&[
        ("same index, different terms", |h| {
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.append(2, &[e(1, 1, "a"), e(2, 2, "c")])
        }),
        ("identical logs written in pieces", |h| {
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.append(2, &[e(1, 1, "a")])?;
            h.append(2, &[e(2, 1, "b")])?;
            h.write(3, 1, &[e(1, 1, "a"), e(2, 1, "b")])
        }),
        ("three terms at one index, each agreed on", |h| {
            h.append(1, &[e(1, 1, "a")])?;
            h.append(2, &[e(1, 2, "b")])?;
            h.append(3, &[e(1, 3, "c")])?;
            h.write(1, 1, &[e(1, 2, "b")])?;
            h.write(2, 1, &[e(1, 3, "c")])
        }),
    ]);
}

#[test]
fn leader_completeness_catches_a_leader_lacking_a_committed_entry() {
    assert_caught(&[
        Caught {
            name: "new leader lacks an entry committed in an earlier term",
            setup: |h| {
                h.lead(1, 1)?;
                h.append(1, &[e(1, 1, "a")])?;
                h.commit(1, 1)
            },
            last: |h| h.lead(2, 2),
            property: Property::LeaderCompleteness,
            nodes: &[2],
            index: Some(1),
        },
        Caught {
            name: "new leader's log parts from the committed one",
            setup: |h| {
                h.lead(1, 1)?;
                h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
                h.commit(1, 2)?;
                h.append(2, &[e(1, 1, "a"), e(2, 2, "c"), e(3, 2, "d")])
            },
            last: |h| h.lead(2, 3),
            property: Property::LeaderCompleteness,
            nodes: &[2],
            index: Some(2),
        },
        Caught {
            name: "an older leader commits what the current later leader lacks",
            setup: |h| {
                h.lead(1, 2)?;
                h.append(1, &[e(1, 2, "a")])?;
                h.lead(3, 3)
            },
            last: |h| h.commit(1, 1),
            property: Property::LeaderCompleteness,
            nodes: &[3],
            index: Some(1),
        },
    ]);
}

#[test]
fn leader_completeness_allows_leaders_not_bound_by_a_commit() {
    assert_legal(&[
        ("new leader holds the committed entries", |h| {
            h.lead(1, 1)?;
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.commit(1, 1)?;
            h.append(2, &[e(1, 1, "a")])?;
            h.lead(2, 2)
        }),
        ("leader of an earlier term elected late lacks a later-term commit", |h| {
            h.lead(1, 3)?;
            h.append(1, &[e(1, 3, "a")])?;
            h.commit(1, 1)?;
            h.lead(2, 2)
        }),
        ("later leader holds what an older leader commits", |h| {
            h.lead(1, 2)?;
            h.append(1, &[e(1, 2, "a")])?;
            h.append(3, &[e(1, 2, "a")])?;
            h.lead(3, 3)?;
            h.commit(1, 1)
        }),
        ("a later-term commit does not bind a current leader of an earlier term", |h| {
            h.lead(1, 2)?;
            h.lead(3, 3)?;
            h.append(3, &[e(1, 3, "a")])?;
            h.commit(3, 1)
        }),
    ]);
}

#[test]
fn state_machine_safety_catches_different_entries_at_an_index() {
    assert_caught(&[
        Caught {
            name: "two nodes commit different entries at an index",
            setup: |h| {
                h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
                h.commit(1, 2)?;
                h.append(2, &[e(1, 1, "a"), e(2, 2, "c")])
            },
            last: |h| h.commit(2, 2),
            property: Property::StateMachineSafety,
            nodes: &[2],
            index: Some(2),
        },
        Caught {
            name: "a node commits beyond its durable log",
            setup: |h| h.append(1, &[e(1, 1, "a")]),
            last: |h| h.commit(1, 2),
            property: Property::StateMachineSafety,
            nodes: &[1],
            index: Some(2),
        },
        Caught {
            name: "two nodes apply different entries at an index",
            setup: |h| {
                h.append(1, &[e(1, 1, "a")])?;
                h.commit(1, 1)?;
                h.append(2, &[e(1, 2, "b")])
            },
            last: |h| h.apply(2, &[e(1, 2, "b")]),
            property: Property::StateMachineSafety,
            nodes: &[2],
            index: Some(1),
        },
        Caught {
            name: "a node restarts with a commit index beyond its durable log",
            setup: |h| {
                h.append(2, &[e(1, 1, "a")])?;
                h.crash(2, 2);
                Ok(())
            },
            last: |h| h.restart(2, |_| {}),
            property: Property::StateMachineSafety,
            nodes: &[2],
            index: Some(2),
        },
    ]);
}

#[test]
fn state_machine_safety_allows_agreeing_commits_and_applies() {
    assert_legal(&[
        ("two nodes commit the same entries", |h| {
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.commit(1, 2)?;
            h.append(2, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.commit(2, 1)?;
            h.commit(2, 2)
        }),
        ("logs diverge only above what both commit", |h| {
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.append(2, &[e(1, 1, "a"), e(2, 2, "c")])?;
            h.commit(2, 1)?;
            h.commit(1, 2)
        }),
        ("a restarted node re-applies the same entries", |h| {
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.commit(1, 2)?;
            h.crash(1, 2);
            h.restart(1, |_| {})
        }),
    ]);
}

#[test]
fn term_monotonic_catches_a_decreasing_term() {
    assert_caught(&[
        Caught {
            name: "term decreases",
            setup: |h| h.follow(1, 3, None),
            last: |h| h.follow(1, 2, None),
            property: Property::TermMonotonic,
            nodes: &[1],
            index: None,
        },
        Caught {
            name: "term decreases across a restart",
            setup: |h| {
                h.lead(2, 3)?;
                h.crash(2, 0);
                Ok(())
            },
            last: |h| h.restart(2, |state| state.term = 2),
            property: Property::TermMonotonic,
            nodes: &[2],
            index: None,
        },
    ]);
}

#[test]
fn term_monotonic_allows_a_steady_or_rising_term() {
    assert_legal(&[
        ("term rises and holds", |h| {
            h.follow(1, 1, None)?;
            h.campaign(1, 2)?;
            h.follow(1, 2, None)?;
            h.follow(1, 5, None)
        }),
        ("term kept across a restart", |h| {
            h.follow(1, 3, None)?;
            h.crash(1, 0);
            h.restart(1, |_| {})
        }),
    ]);
}

#[test]
fn single_vote_catches_a_second_vote_in_a_term() {
    assert_caught(&[
        Caught {
            name: "vote changes within a term",
            setup: |h| h.follow(1, 2, Some(2)),
            last: |h| h.follow(1, 2, Some(3)),
            property: Property::SingleVote,
            nodes: &[1, 2, 3],
            index: None,
        },
        Caught {
            name: "vote cast after the term began is remembered",
            setup: |h| {
                h.follow(1, 2, None)?;
                h.follow(1, 2, Some(2))
            },
            last: |h| h.follow(1, 2, Some(3)),
            property: Property::SingleVote,
            nodes: &[1, 2, 3],
            index: None,
        },
        Caught {
            name: "votes for itself after voting for another",
            setup: |h| h.follow(1, 2, Some(3)),
            last: |h| h.campaign(1, 2),
            property: Property::SingleVote,
            nodes: &[1, 3, 1],
            index: None,
        },
        Caught {
            name: "votes again after a restart that lost its vote",
            setup: |h| {
                h.follow(1, 2, Some(2))?;
                h.crash(1, 0);
                h.restart(1, |state| state.vote = None)
            },
            last: |h| h.follow(1, 2, Some(3)),
            property: Property::SingleVote,
            nodes: &[1, 2, 3],
            index: None,
        },
    ]);
}

#[test]
fn single_vote_allows_one_vote_per_term() {
    assert_legal(&[
        ("no vote, then a vote, in one term", |h| {
            h.follow(1, 2, None)?;
            h.follow(1, 2, Some(2))?;
            h.follow(1, 2, Some(2))
        }),
        ("a new vote in a new term", |h| {
            h.follow(1, 2, Some(2))?;
            h.follow(1, 3, Some(3))?;
            h.campaign(1, 4)
        }),
        ("the same vote after a restart", |h| {
            h.follow(1, 2, Some(2))?;
            h.crash(1, 0);
            h.restart(1, |_| {})?;
            h.follow(1, 2, Some(2))
        }),
    ]);
}

#[test]
fn commit_monotonic_catches_a_decreasing_commit_index_while_up() {
    assert_caught(&[
        Caught {
            name: "commit index decreases",
            setup: |h| {
                h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
                h.commit(1, 2)
            },
            last: |h| h.commit(1, 1),
            property: Property::CommitMonotonic,
            nodes: &[1],
            index: Some(2),
        },
        Caught {
            name: "commit index decreases after a restart, while up",
            setup: |h| {
                h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
                h.commit(1, 2)?;
                h.crash(1, 1);
                h.restart(1, |_| {})
            },
            last: |h| h.commit(1, 0),
            property: Property::CommitMonotonic,
            nodes: &[1],
            index: Some(1),
        },
    ]);
}

#[test]
fn commit_monotonic_allows_a_lower_commit_index_after_a_restart() {
    assert_legal(&[
        ("lower commit index right after a restart", |h| {
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.commit(1, 2)?;
            h.crash(1, 0);
            h.restart(1, |_| {})?;
            h.commit(1, 1)?;
            h.commit(1, 2)
        }),
        ("commit index held or raised", |h| {
            h.append(1, &[e(1, 1, "a"), e(2, 1, "b")])?;
            h.commit(1, 1)?;
            h.commit(1, 1)?;
            h.commit(1, 2)
        }),
    ]);
}

#[test]
fn observed_counts_elections_leaders_terms_and_commits() -> Checked {
    let mut h = Harness::new();
    let entries = [noop(1, 1), e(2, 1, "x")];
    h.campaign(1, 1)?;
    h.campaign(1, 1)?;
    h.follow(2, 1, Some(1))?;
    h.lead(1, 1)?;
    h.append(1, &entries)?;
    h.append(2, &entries)?;
    h.commit(1, 2)?;
    h.commit(2, 1)?;
    let expected = Observed { elections: 1, leader_changes: 1, max_term: 1, commits: 2 };
    assert_eq!(h.checker.observed(), expected);

    h.campaign(2, 2)?;
    h.campaign(3, 2)?;
    h.lead(2, 2)?;
    h.lead(2, 2)?;
    h.append(2, &[noop(3, 2)])?;
    h.commit(2, 3)?;
    h.follow(3, 4, None)?;
    let expected = Observed { elections: 3, leader_changes: 2, max_term: 4, commits: 3 };
    assert_eq!(h.checker.observed(), expected);
    assert_eq!(h.checker.committed().last_index(), 3);
    assert_eq!(h.checker.committed().last_index_committed_before(2), 2);
    assert_eq!(h.checker.committed().last_index_committed_before(3), 3);
    assert_eq!(h.checker.committed().prefix(3), Some(h.cluster.prefix(2)[2]));
    h.crash(2, 1);
    let (role, vote) = (RoleKind::Follower, Some(2));
    let durable = NodeState { up: false, role, term: 2, vote, commit_index: 1, last_index: 3 };
    assert_eq!(h.checker.previous(2), durable);
    Ok(())
}

#[test]
fn commit_record_answers_what_a_leader_of_each_term_must_hold() {
    let mut record = CommitRecord::default();
    assert_eq!((record.last_index(), record.last_index_committed_before(9)), (0, 0));
    for (index, term) in [(1, 2), (2, 2), (3, 4), (4, 4), (5, 7)] {
        record.push(index, term, 100 + index);
    }
    assert_eq!(record.last_index(), 5);
    assert_eq!((record.prefix(0), record.prefix(3), record.prefix(6)), (None, Some(103), None));
    let required = [(0, 0), (1, 0), (2, 0), (3, 2), (4, 2), (5, 4), (7, 4), (8, 5), (u64::MAX, 5)];
    for (term, index) in required {
        assert_eq!(record.last_index_committed_before(term), index, "a leader of term {term}");
    }
}

#[test]
#[should_panic(expected = "commit record grows one index at a time")]
fn commit_record_refuses_a_gap() {
    CommitRecord::default().push(2, 1, 0);
}

/// `CommitRecord::push` raises a late commit's term to the record's last term instead of
/// lowering the earlier indexes' terms, so an entry committed in term 3 after an earlier index
/// was first seen committed in term 5 is treated as committed in term 5.
#[test]
fn a_late_commit_in_an_older_term_binds_current_later_leaders() {
    let mut h = Harness::new();
    h.lead(1, 3).expect("a stale leader of term 3");
    h.append(1, &[e(1, 3, "a"), e(2, 3, "b")]).expect("replicates two entries");
    h.append(3, &[e(1, 3, "a")]).expect("node 3 holds only the first");
    h.lead(3, 5).expect("nothing is committed yet");
    h.append(3, &[noop(2, 5)]).expect("a new leader's no-op");
    h.commit(3, 1).expect("leader 3 commits entry 1 in term 5");
    let violation = h.commit(1, 2).expect_err("leader 3 of term 5 lacks entry 2, committed in 3");
    assert_eq!(
        (violation.property, violation.nodes, violation.index),
        (Property::LeaderCompleteness, vec![3], Some(2))
    );
}

/// The commit point is compared with the node's log only when the commit index moves, so a
/// node that drops or rewrites entries below its unchanged commit index goes unflagged.
#[test]
fn a_node_losing_entries_below_its_commit_index_is_caught() {
    let rewrites: [&[Entry]; 2] = [&[], &[e(2, 2, "c")]];
    for rewrite in rewrites {
        let mut h = Harness::new();
        h.append(2, &[e(1, 1, "a"), e(2, 1, "b")]).expect("legal");
        h.commit(2, 2).expect("legal");
        let violation = h.write(2, 2, rewrite).expect_err("node 2 lost committed entry 2");
        assert_eq!(
            (violation.property, violation.nodes, violation.index),
            (Property::StateMachineSafety, vec![2], Some(2)),
            "rewrite {rewrite:?}"
        );
    }
}
