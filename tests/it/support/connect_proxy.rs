//! A stand-in for an HTTP forward proxy (squid, tinyproxy) that only tunnels: it answers
//! `CONNECT host:port` by connecting to the address its own table gives for `host` (so a name
//! that no DNS knows reaches a registry on another loopback address and nothing leaves the
//! machine), then copies bytes both ways. It records every CONNECT target it was asked for;
//! a name missing from its table gets `502 Bad Gateway`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub struct ConnectProxy {
    pub port: u16,
    /// `host:port` of every CONNECT, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    /// A proxy on 127.0.0.1 that resolves the names of `hosts` (name → IP) itself.
    pub fn start(hosts: &[(&str, &str)]) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let table: HashMap<String, String> = hosts
            .iter()
            .map(|(n, ip)| (n.to_string(), ip.to_string()))
            .collect();
        let seen = requests.clone();
        // The listener thread lives as long as the test process; a test's proxy is idle
        // after the test, and its port is never reused by another (the OS hands out ports).
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (table, seen) = (table.clone(), seen.clone());
                std::thread::spawn(move || {
                    let _ = tunnel(client, &table, &seen);
                });
            }
        });
        ConnectProxy { port, requests }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn tunnel(
    client: TcpStream,
    table: &HashMap<String, String>,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let mut words = request_line.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    seen.lock().unwrap().push(target.to_string());
    let mut client_w = client.try_clone()?;
    let upstream = (method == "CONNECT")
        .then(|| target.rsplit_once(':'))
        .flatten()
        .and_then(|(host, port)| Some((table.get(host)?.clone(), port.parse::<u16>().ok()?)))
        .and_then(|(ip, port)| TcpStream::connect((ip.as_str(), port)).ok());
    let Some(upstream) = upstream else {
        client_w.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    };
    client_w.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let mut up_r = upstream.try_clone()?;
    let mut up_w = upstream;
    let down = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_r, &mut client_w);
        let _ = client_w.shutdown(std::net::Shutdown::Write);
    });
    // Bytes the reader already buffered belong to the tunnel.
    let buffered = reader.buffer().to_vec();
    up_w.write_all(&buffered)?;
    let mut rest = reader.into_inner();
    let _ = std::io::copy(&mut rest, &mut up_w);
    let _ = up_w.shutdown(std::net::Shutdown::Write);
    let _ = down.join();
    Ok(())
}
