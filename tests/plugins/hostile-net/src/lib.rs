//! Hostile test plugin: `preprocess` tries to use the network and reports what happened (as the
//! rewritten message text) instead of failing.
//!
//! One line per attempt: `<operation> <target>: ok` or `<operation> <target>: denied
//! (<io::ErrorKind>)`. An attempt that succeeded is prefixed `LEAKED `; the word `LEAKED`
//! appears nowhere else.

use kefu_plugin_sdk::*;
use std::io;
use std::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket};

struct HostileNet;

fn line(label: &str, outcome: io::Result<String>) -> String {
    match outcome {
        Ok(detail) => format!("LEAKED {label}: ok ({detail})"),
        Err(e) => format!("{label}: denied ({:?})", e.kind()),
    }
}

impl Plugin for HostileNet {
    fn init() -> Result<Self, PluginError> {
        Ok(HostileNet)
    }

    fn preprocess(&self, _ctx: Context) -> Result<Option<String>, PluginError> {
        let report = [
            line(
                "connect 127.0.0.1:5432",
                TcpStream::connect("127.0.0.1:5432").map(|s| format!("{:?}", s.peer_addr())),
            ),
            line(
                "listen 0.0.0.0:8081",
                TcpListener::bind("0.0.0.0:8081").map(|l| format!("{:?}", l.local_addr())),
            ),
            line(
                "udp 0.0.0.0:0",
                UdpSocket::bind("0.0.0.0:0").map(|u| format!("{:?}", u.local_addr())),
            ),
            line(
                "resolve localhost:80",
                ("localhost", 80)
                    .to_socket_addrs()
                    .map(|addrs| format!("{:?}", addrs.collect::<Vec<_>>())),
            ),
        ];
        Ok(Some(report.join("\n")))
    }
}

export_plugin!(HostileNet);
