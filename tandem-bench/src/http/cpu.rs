//! CPU time of a server process and of the suite's own process (where the built-in load
//! generator runs), read from `/proc`: the HTTP suite reports CPU time per response, since the
//! server and the load generator share the machine's cores, and a server that spends less per
//! response leaves more to the load generator.

use std::io;

/// `/proc/<pid>/stat` gives CPU times in USER_HZ ticks, 100 per second on every Linux
/// architecture (the value the kernel exports is fixed for that ABI).
const USER_HZ: f64 = 100.0;

/// CPU time a process has used, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTime {
    /// In user space.
    pub user: f64,
    /// In the kernel, on the process's behalf.
    pub system: f64,
}

impl CpuTime {
    /// Process `pid`'s, all its threads together.
    pub fn of_process(pid: u32) -> io::Result<CpuTime> {
        parse(&std::fs::read_to_string(format!("/proc/{pid}/stat"))?)
    }

    /// This process's (the suite, and with it the built-in load generator).
    pub fn of_self() -> io::Result<CpuTime> {
        parse(&std::fs::read_to_string("/proc/self/stat")?)
    }

    /// The CPU time used between `earlier` and `self`.
    pub fn since(self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user - earlier.user,
            system: self.system - earlier.system,
        }
    }

    pub fn total(self) -> f64 {
        self.user + self.system
    }
}

/// Reads `utime` and `stime`, fields 14 and 15 of a `stat` line. The command name (field 2)
/// is in parentheses and may hold spaces and parentheses itself, so fields are counted from
/// its last `)`.
fn parse(stat: &str) -> io::Result<CpuTime> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "unexpected /proc stat format");
    let after_name = stat.rfind(')').ok_or_else(bad)?;
    // The fields after the name start with field 3 (the state).
    let fields: Vec<&str> = stat[after_name + 1..].split_whitespace().collect();
    let ticks = |field: usize| -> io::Result<f64> {
        let value: u64 = fields
            .get(field - 3)
            .and_then(|f| f.parse().ok())
            .ok_or_else(bad)?;
        Ok(value as f64 / USER_HZ)
    };
    Ok(CpuTime {
        user: ticks(14)?,
        system: ticks(15)?,
    })
}

#[cfg(test)]
mod tests {
    use super::{parse, CpuTime};

    #[test]
    fn reads_utime_and_stime_after_a_name_with_spaces_and_parentheses() {
        let line = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0";
        assert_eq!(
            parse(line).unwrap(),
            CpuTime {
                user: 2.5,
                system: 0.75
            }
        );
        assert!(parse("4242 (cut short) S 1").is_err());
    }
}
