//! Keeps the thread pool's idle workers looking for work while a network runs on the CPU.
//!
//! A CPU training step is thousands of tensor operations, each split over rayon's pool, with
//! microseconds to milliseconds of serial work between them (autodiff bookkeeping, small
//! operations). Rayon's idle workers go to sleep after about 10 µs, so each operation paid a
//! futex wake per worker and, on a virtual machine, an idle virtual CPU brought back. OpenMP
//! runtimes wait longer by default (libgomp, under PyTorch's CPU build, spins 300,000 times
//! before it sleeps).
//!
//! Rayon's sleep policy is private to the pool, so glit does not change it: it hands the pool
//! one *spinner* job per thread instead. A spinner runs the pool's pending jobs one at a time
//! ([`rayon::yield_now`]), yields its core to the operating system whenever there is none (so
//! the data loader or another process still gets the core), and ends once no job has come for
//! [`spin_time`] (50 ms unless [`SPIN_VARIABLE`] says otherwise). [`keep_awake`], called at
//! the start of every forward pass on the CPU, starts the spinners when none are running.
//! Which thread runs a job never changes what it computes, so results do not change.
//!
//! A thread that drives computations (the one that calls [`keep_awake`], or a command's
//! thread marked with [`mark_driver`]) never spins: a spinner that lands on it returns at
//! once, because a driver waiting inside a split loop for its pieces could otherwise pick up a
//! spinner and stall until it ends. The pool's other workers are idle when a forward pass
//! starts, so they are not waiting on anything a spinner could hold up.

use std::any::Any;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use burn::DispatchDevice;

/// The environment variable that sets how long the pool's idle threads look for work before
/// they sleep, in microseconds (`0` lets them sleep as rayon does, after about 10 µs).
pub const SPIN_VARIABLE: &str = "GLIT_POOL_SPIN_US";

/// How long idle threads spin when [`SPIN_VARIABLE`] is not set.
const DEFAULT_SPIN: Duration = Duration::from_millis(50);

/// Rounds of looking for work between two readings of the clock (a round without work is one
/// `sched_yield`, about 0.3 µs).
const ROUNDS_PER_CLOCK_READING: u32 = 64;

thread_local! {
    /// Whether this thread drives computations and so must never run a spinner.
    static DRIVER: Cell<bool> = const { Cell::new(false) };
}

/// Spinners started and not yet ended.
static SPINNERS: AtomicUsize = AtomicUsize::new(0);

/// When a spinner last ran a job or a forward pass last started, in nanoseconds since
/// [`epoch`].
static LAST_WORK_NANOS: AtomicU64 = AtomicU64::new(0);

/// How long idle threads keep looking for work: [`spin_setting`], or 50 ms when the setting
/// cannot be read (glit's command line refuses such a value first, naming the variable).
pub fn spin_time() -> Duration {
    static SPIN: OnceLock<Duration> = OnceLock::new();
    *SPIN.get_or_init(|| spin_setting().unwrap_or(DEFAULT_SPIN))
}

/// The spin time [`SPIN_VARIABLE`] asks for (50 ms when it is unset), or an error naming the
/// variable when its value is not a whole number of microseconds.
pub fn spin_setting() -> crate::error::Result<Duration> {
    let Some(value) = std::env::var_os(SPIN_VARIABLE) else {
        return Ok(DEFAULT_SPIN);
    };
    let value = value.to_string_lossy();
    match value.trim().parse::<u64>() {
        Ok(micros) => Ok(Duration::from_micros(micros)),
        Err(_) => Err(crate::error::Error::InvalidValue {
            key: SPIN_VARIABLE.into(),
            message: format!(
                "`{value}` is not a whole number of microseconds (50000, the default, keeps \
                 idle threads looking for work for 50 ms; 0 lets them sleep at once)"
            ),
        }),
    }
}

/// Marks the calling thread as one that drives computations: spinners never run on it.
pub fn mark_driver() {
    DRIVER.with(|driver| driver.set(true));
}

/// Keeps the pool's idle threads looking for work for the next [`spin_time`], starting one
/// spinner per pool thread when none runs. Does nothing for a device that is not a CPU (the
/// pool has nothing to do while a GPU computes) or when the spin time is zero.
pub fn keep_awake<D: Any>(device: &D) {
    if !computes_on_the_pool(device) || spin_time().is_zero() {
        return;
    }
    mark_driver();
    note_work();
    let threads = rayon::current_num_threads();
    if SPINNERS
        .compare_exchange(0, threads, Ordering::AcqRel, Ordering::Relaxed)
        .is_ok()
    {
        for _ in 0..threads {
            rayon::spawn(spin);
        }
    }
}

/// Whether tensors on `device` are computed by rayon's pool: Burn's CPU backends, and any
/// device type glit does not know (a library user's own backend), since a spinner costs
/// nothing there but a yielding core.
fn computes_on_the_pool<D: Any>(device: &D) -> bool {
    let Some(device) = (device as &dyn Any).downcast_ref::<DispatchDevice>() else {
        return true;
    };
    #[allow(unreachable_patterns)] // which variants exist depends on the build's features
    match device {
        DispatchDevice::Flex(_) => true,
        #[cfg(feature = "ndarray")]
        DispatchDevice::NdArray(_) => true,
        DispatchDevice::Autodiff(inner) => computes_on_the_pool::<DispatchDevice>(inner),
        _ => false,
    }
}

/// One spinner: runs the pool's jobs as they come and ends once none has come for
/// [`spin_time`].
fn spin() {
    /// Counts the spinner out however it ends.
    struct Ended;
    impl Drop for Ended {
        fn drop(&mut self) {
            SPINNERS.fetch_sub(1, Ordering::AcqRel);
        }
    }
    let _ended = Ended;
    if DRIVER.with(Cell::get) {
        return;
    }
    let limit = spin_time();
    let mut rounds = 0u32;
    let mut worked = false;
    loop {
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => worked = true,
            Some(rayon::Yield::Idle) => std::thread::yield_now(),
            None => return, // not a pool thread: nothing to keep awake
        }
        rounds += 1;
        if rounds < ROUNDS_PER_CLOCK_READING {
            continue;
        }
        rounds = 0;
        if std::mem::take(&mut worked) {
            note_work();
        } else if since_last_work() >= limit {
            return;
        }
    }
}

/// The clock's zero for [`LAST_WORK_NANOS`].
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn note_work() {
    let nanos = epoch().elapsed().as_nanos() as u64;
    LAST_WORK_NANOS.fetch_max(nanos, Ordering::Relaxed);
}

fn since_last_work() -> Duration {
    let now = epoch().elapsed().as_nanos() as u64;
    Duration::from_nanos(now.saturating_sub(LAST_WORK_NANOS.load(Ordering::Relaxed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_work_completes_while_spinners_hold_the_pool_and_they_end_when_it_stops() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let started = Instant::now();
        let total: u64 = pool.install(|| {
            mark_driver();
            SPINNERS.fetch_add(2, Ordering::AcqRel);
            // The scope returns only once both spinners have ended.
            rayon::scope(|scope| {
                scope.spawn(|_| spin());
                scope.spawn(|_| spin());
                (0..2_000u64)
                    .map(|i| {
                        let (a, b) = rayon::join(|| i, || 2 * i);
                        a + b
                    })
                    .sum()
            })
        });
        assert_eq!(total, 3 * 1_999 * 2_000 / 2);
        assert!(
            started.elapsed() < spin_time() * 20 + Duration::from_secs(5),
            "the spinners did not end"
        );
    }

    #[test]
    fn a_spinner_on_a_driving_thread_returns_at_once() {
        mark_driver();
        SPINNERS.fetch_add(1, Ordering::AcqRel);
        let started = Instant::now();
        spin();
        assert!(started.elapsed() < spin_time());
    }

    #[test]
    fn cpu_devices_and_unknown_ones_keep_the_pool_awake() {
        assert!(computes_on_the_pool(&DispatchDevice::Flex(
            Default::default()
        )));
        assert!(computes_on_the_pool(&DispatchDevice::autodiff(
            DispatchDevice::Flex(Default::default())
        )));
        assert!(computes_on_the_pool(&"a device glit does not know"));
    }
}
