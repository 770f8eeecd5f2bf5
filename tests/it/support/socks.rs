//! A real SOCKS 5 server, Dante's `danted` (Debian `dante-server`), on loopback with a private
//! configuration. It resolves names itself through `/etc/hosts`; so that a name no DNS knows
//! reaches a registry on another loopback address and nothing leaves the machine, it runs in a
//! mount namespace of its own where a private hosts file is bound over `/etc/hosts` (root only;
//! the machine's own file is untouched).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::registry::{free_port, wait_for_addr};
use super::require_tool;

pub struct Danted {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl Danted {
    /// A server on 127.0.0.1 that resolves the names of `hosts` (name → IP); `None` (the
    /// test skips, saying so) without danted or root outside CI.
    pub fn start(hosts: &[(&str, &str)]) -> Option<Danted> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("danted needs root for its private /etc/hosts (CI=true)");
            }
            eprintln!("SKIPPED: danted needs root for its private /etc/hosts");
            return None;
        }
        if !(require_tool("danted") && require_tool("unshare")) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut table = String::from("127.0.0.1 localhost\n");
        for (name, ip) in hosts {
            table.push_str(&format!("{ip} {name}\n"));
        }
        std::fs::write(dir.path().join("hosts"), table).unwrap();
        let conf = format!(
            "logoutput: {log}\n\
             internal: 127.0.0.1 port = {port}\n\
             external: 127.0.0.1\n\
             clientmethod: none\n\
             socksmethod: none\n\
             user.privileged: root\n\
             user.unprivileged: nobody\n\
             client pass {{\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n  log: error\n}}\n\
             socks pass {{\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n  command: connect\n  log: connect error\n}}\n",
            log = dir.path().join("danted.log").display(),
        );
        std::fs::write(dir.path().join("danted.conf"), conf).unwrap();
        let script = format!(
            "mount --bind {hosts} /etc/hosts && exec danted -f {conf} -p {pid}",
            hosts = dir.path().join("hosts").display(),
            conf = dir.path().join("danted.conf").display(),
            pid = dir.path().join("danted.pid").display(),
        );
        let child = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap())
            .spawn()
            .unwrap();
        let d = Danted { port, dir, child };
        wait_for_addr("127.0.0.1", port);
        Some(d)
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("danted.log")
    }

    /// The destinations (`IP.PORT`, as danted writes them) of the connections it passed.
    pub fn connects(&self) -> Vec<String> {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("pass(1): tcp/connect ["))
            .filter_map(|l| l.rsplit(' ').next().map(str::to_string))
            .collect()
    }
}

impl Drop for Danted {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the server this test started (its main process: the shell and
        // unshare exec'd into it); it ends its own children.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}
