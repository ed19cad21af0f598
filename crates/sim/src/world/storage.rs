//! The disks, as the world drives them: writes handed over and made durable (at once, or by
//! an fsync that completes after a drawn latency), what a crash keeps of unsynced writes, what
//! a restart reads back, and the disk faults — fsync failure, a full disk, records rotting at
//! rest. See [`crate::disk`] for the model.
//!
//! The checker hears of a write twice, as ground truth: when it is handed over
//! ([`crate::check::Checker::on_write`]) and when it is durable
//! ([`crate::check::Checker::on_durable`]) — after the fsync, or when a crash happened to keep
//! it. Never because the server was told so.

use rand::Rng;
use rand::seq::SliceRandom;

use super::World;
use super::faults::ActiveFault;
use crate::check::Violation;
use crate::event::Event;
use crate::node::{Input, Status};
use crate::raft_under_test::{AfterPersistFailure, NodeId, RaftUnderTest, WriteBatch, WriteId};

impl<R: RaftUnderTest> World<R> {
    /// Whether disks are perfect: every write durable the moment it is handed over.
    pub(super) fn disks_are_perfect(&self) -> bool {
        self.spec.options.faults.disk.is_none()
    }

    /// `node` hands `write` to its disk. A perfect disk makes it durable at once (and the
    /// caller acknowledges it); otherwise it waits in the unsynced buffer for an fsync.
    pub(super) fn hand_over(
        &mut self,
        node: NodeId,
        write: &mut WriteBatch,
    ) -> Result<(), Box<Violation>> {
        let index = node as usize - 1;
        self.nodes[index].last_write_id = write.id.expect("a write handed over has an id");
        if self.disks_are_perfect() {
            // The checker hears of it before the disk takes the entries.
            if self.checking {
                self.checker.on_durable(node, write)?;
            }
            if self.nodes[index].disk.write(write) {
                self.counters.truncations += 1;
            }
            return Ok(());
        }
        let disk = &mut self.nodes[index].disk;
        if disk.full {
            self.counters.disk_full += 1;
        }
        disk.submit(std::mem::take(write));
        self.start_fsync(node);
        Ok(())
    }

    /// Starts an fsync of `node`'s unsynced writes, unless one is in flight or the disk is
    /// full.
    pub(super) fn start_fsync(&mut self, node: NodeId) {
        let Some(params) = &self.spec.options.faults.disk else { return };
        let latency = params.fsync_latency_us;
        let sim_node = &mut self.nodes[node as usize - 1];
        if !sim_node.disk.begin_fsync() {
            return;
        }
        let latency_us = self.disk_rng.random_range(latency.min()..=latency.max());
        let incarnation = sim_node.incarnation;
        let at = self.now_us + self.output_delay_us + latency_us;
        self.queue.push(at, Event::Synced { node, incarnation });
        self.counters.fsyncs += 1;
    }

    /// Makes durable the next `count` writes the disk yields from `next` (an fsync's, or those
    /// a crash keeps), telling the checker — unless they land behind the hole a failed fsync
    /// left, and are lost. Returns the id of the last.
    fn make_durable(
        &mut self,
        node: NodeId,
        next: fn(&mut crate::disk::Disk) -> Option<WriteBatch>,
        count: usize,
    ) -> Result<Option<WriteId>, Box<Violation>> {
        let index = node as usize - 1;
        let mut last = None;
        for _ in 0..count {
            let disk = &mut self.nodes[index].disk;
            let Some(mut write) = next(disk) else { break };
            last = write.id;
            if disk.is_holed() {
                self.counters.unsynced_writes_lost += 1;
                continue;
            }
            if self.checking {
                self.checker.on_durable(node, &write)?;
            }
            if self.nodes[index].disk.write(&mut write) {
                self.counters.truncations += 1;
            }
        }
        if let Some(repaired) = self.nodes[index].disk.repair() {
            self.counters.records_repaired += repaired;
        }
        Ok(last)
    }

    /// An fsync of `node`'s completes: its writes are durable, and the node is told (an input
    /// like any other, which waits its turn and is never dropped). One that fails loses its
    /// writes, and the node is told that instead.
    pub(super) fn on_synced(
        &mut self,
        node: NodeId,
        incarnation: u64,
    ) -> Result<(), Box<Violation>> {
        let sim_node = &mut self.nodes[node as usize - 1];
        if sim_node.incarnation != incarnation || !sim_node.disk.is_syncing() {
            return Ok(()); // The node crashed since: what the fsync covered is settled.
        }
        if sim_node.disk.fail_next_fsync {
            let (lost, write) = sim_node.disk.fail_fsync();
            self.counters.fsync_failures += 1;
            self.counters.unsynced_writes_lost += lost;
            self.start_fsync(node);
            return self.arrive(node, Input::PersistFailed { write });
        }
        let last = self.make_durable(node, crate::disk::Disk::pop_synced, usize::MAX)?;
        self.start_fsync(node);
        match last {
            Some(write) => self.arrive(node, Input::Persisted { write }),
            None => Ok(()),
        }
    }

    /// `node` learns that every write up to `write` is durable, and sends what waited for it.
    pub(super) fn on_persisted(
        &mut self,
        node: NodeId,
        write: WriteId,
    ) -> Result<(), Box<Violation>> {
        let index = node as usize - 1;
        self.nodes[index].disk.told_durable(write);
        self.nodes[index].raft_mut().on_persisted(write);
        while self.nodes[index].held.front().is_some_and(|&(needs, _)| needs <= write) {
            let (_, message) = self.nodes[index].held.pop_front().expect("just seen");
            self.send(node, message)?;
        }
        Ok(())
    }

    /// `node` learns that the fsync covering the writes up to `write` failed. A correct server
    /// stops, and its supervisor restarts it from its disk when the fault ends (at once if it
    /// already has: a slow server may learn of the failure late); one that retries is told, as
    /// Linux would tell it, that the retry worked.
    pub(super) fn on_persist_failed(
        &mut self,
        node: NodeId,
        write: WriteId,
    ) -> Result<(), Box<Violation>> {
        match self.nodes[node as usize - 1].raft_mut().on_persist_failed(write) {
            AfterPersistFailure::Stop => {
                self.crash(node)?;
                self.counters.crashes += 1;
                let held_down = self.active.contains(&Some(ActiveFault::FsyncFailing(node)));
                if !held_down {
                    return self.restart(node);
                }
                self.nodes[node as usize - 1].stopped_by_fsync = true;
                Ok(())
            }
            AfterPersistFailure::CarryOn => self.on_persisted(node, write),
        }
    }

    /// The messages `node`'s output holds back until its disk has caught up: sent now if it
    /// has, held otherwise.
    pub(super) fn send_or_hold(
        &mut self,
        node: NodeId,
        messages: &mut Vec<R::Message>,
    ) -> Result<(), Box<Violation>> {
        let sim_node = &mut self.nodes[node as usize - 1];
        let needs = sim_node.last_write_id;
        if !sim_node.disk.releases(needs) {
            sim_node.held.extend(messages.drain(..).map(|message| (needs, message)));
            return Ok(());
        }
        for message in messages.drain(..) {
            self.send(node, message)?;
        }
        Ok(())
    }

    /// A crash is about to strike `node` with its last output persisted and unsent (a trigger
    /// target): its writes are made durable first.
    pub(super) fn sync_now(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        let unsynced = self.nodes[node as usize - 1].disk.unsynced();
        self.make_durable(node, crate::disk::Disk::pop_unsynced, unsynced)?;
        Ok(())
    }

    /// The power goes at `node`: the kernel had written back a random prefix of its unsynced
    /// writes, which survive; the rest are lost, the first of them perhaps torn.
    pub(super) fn lose_unsynced(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        let index = node as usize - 1;
        let unsynced = self.nodes[index].disk.unsynced();
        if unsynced > 0 {
            let kept = self.disk_rng.random_range(0..=unsynced);
            self.make_durable(node, crate::disk::Disk::pop_unsynced, kept)?;
        }
        let lost = self.nodes[index].disk.lose_unsynced();
        if lost > 0 {
            self.counters.unsynced_writes_lost += lost;
            let torn = self
                .spec
                .options
                .faults
                .disk
                .as_ref()
                .map_or(0.0, |disk| disk.torn_write_probability);
            if self.disk_rng.random_bool(torn) {
                // A partial record at the tail: recovery finds its checksum wrong and truncates
                // it, which leaves the disk as if the write had never started.
                self.counters.torn_writes += 1;
            }
        }
        Ok(())
    }

    /// A restart reads `node`'s disk: records that rotted are found, and the log ends before
    /// the first of them.
    pub(super) fn read_back(&mut self, node: NodeId) {
        let recovery = self.nodes[node as usize - 1].disk.recover();
        if let Some(from) = recovery.truncated_from
            && self.checking
        {
            self.checker.on_damaged(node, from);
        }
    }

    /// Whether corruption at rest may strike `target` now without ever destroying an entry on
    /// a majority (the fault atlas): every configuration has at least 3 voters, no disk holds damage
    /// not yet repaired, the Raft repairs damaged logs, every server takes part in the
    /// liveness phase (a damaged one cannot help elect a leader), and `target` is up with
    /// records to lose.
    fn may_corrupt(&self, target: NodeId) -> bool {
        let options = &self.spec.options;
        // With membership changes, every configuration keeps the scenario's fewest voters.
        let voters = options
            .membership
            .as_ref()
            .map_or(options.nodes, |membership| options.nodes.min(membership.voters.min()));
        R::REPAIRS_DAMAGED_LOG
            && voters >= 3
            && options.liveness.left_out.is_empty()
            && !options.liveness.quorum_loss
            && self.nodes.iter().all(|node| !node.disk.is_damaged())
            && self.nodes[target as usize - 1].status != Status::Crashed
            && self.nodes[target as usize - 1].disk.records() > 0
    }

    /// Corruption at rest strikes `target`, if the atlas allows: it loses power, and `records`
    /// of its most recent synced log records rot. Returns whether it struck.
    pub(super) fn corrupt(&mut self, target: NodeId, records: u32) -> Result<bool, Box<Violation>> {
        if !self.may_corrupt(target) {
            return Ok(false);
        }
        self.crash(target)?;
        self.counters.crashes += 1;
        let disk = &mut self.nodes[target as usize - 1].disk;
        let recent = disk.records().min(crate::scenario::RECENT_RECORDS as usize);
        let rotting = (records as usize).min(recent);
        let mut backs: Vec<usize> = (0..recent).collect();
        let (rotten, _) = backs.partial_shuffle(&mut self.disk_rng, rotting);
        for &back in rotten.iter() {
            disk.rot(back);
        }
        self.counters.records_corrupted += rotting as u64;
        Ok(true)
    }
}
