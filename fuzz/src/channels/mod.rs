//! Mirrors the host's `channels` module tree (`channels::wechat`, `channels::webhook`); the
//! included modules refer to each other only through `super::` paths. `#[path]` here is
//! relative to this file's directory (`fuzz/src/channels/`).

#[path = "../../../host/src/channels/wechat/mod.rs"]
pub mod wechat;
#[path = "../../../host/src/channels/webhook.rs"]
pub mod webhook;
