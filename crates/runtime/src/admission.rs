//! Admission: the `--max-concurrency` inference slots and the `--max-buffered-body-bytes`
//! budget, each one atomic counter (a request never waits for either: no lock, no queue).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The `--max-concurrency` inference slots: a counter, since a request never waits for one
/// (taking and freeing is one atomic operation each, no lock).
#[derive(Debug)]
pub struct Slots {
    taken: AtomicUsize,
    max: usize,
}

impl Slots {
    /// `max` slots, all free.
    pub fn new(max: usize) -> Slots {
        Slots {
            taken: AtomicUsize::new(0),
            max,
        }
    }

    /// One slot, if one is free.
    pub fn try_take(slots: &Arc<Slots>) -> Option<Slot> {
        slots
            .taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < slots.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(slots.clone()))
    }

    /// Whether every slot is taken.
    pub fn full(&self) -> bool {
        self.taken.load(Ordering::Relaxed) >= self.max
    }
}

/// One taken slot, freed on drop.
#[derive(Debug)]
pub struct Slot(Arc<Slots>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.taken.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The `--max-buffered-body-bytes` budget: bytes of request bodies buffered across all
/// requests, from the first byte read until the request is parsed. One atomic counter.
#[derive(Debug)]
pub struct BodyBudget {
    used: AtomicUsize,
    max: usize,
}

impl BodyBudget {
    /// A budget of `max` bytes, all free.
    pub fn new(max: usize) -> BodyBudget {
        BodyBudget {
            used: AtomicUsize::new(0),
            max,
        }
    }

    /// The budget, bytes.
    pub fn max(&self) -> usize {
        self.max
    }
}

/// Bytes of the budget one body holds, given back on drop.
#[derive(Debug)]
pub struct Held {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

impl Held {
    /// Holds nothing yet.
    pub fn new(budget: &Arc<BodyBudget>) -> Held {
        Held {
            budget: budget.clone(),
            bytes: 0,
        }
    }

    /// Holds `total` bytes in all (more than now), if the budget has room.
    pub fn grow(&mut self, total: usize) -> bool {
        let more = total.saturating_sub(self.bytes);
        if more == 0 {
            return true;
        }
        let max = self.budget.max;
        let ok = self
            .budget
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(more).filter(|&n| n <= max)
            })
            .is_ok();
        if ok {
            self.bytes = total;
        }
        ok
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}
