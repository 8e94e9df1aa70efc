//! Inbound channels: WeChat Official Account and WeCom callbacks ([`wechat`] holds the
//! protocol: signatures, the AES envelope, XML, passive replies), the generic JSON webhook
//! ([`webhook`]), durable deduplicated ingestion with the reply deadline ([`service`]), and the
//! outbox that delivers late replies ([`outbox`]), and the message pull of WeCom customer
//! service ([`kf`]).

pub mod kf;
pub mod outbox;
pub mod service;
pub mod webhook;
pub mod wechat;

pub use service::{
    Accepted, Answer, ChannelKind, ChannelReply, ChannelRuntime, ChannelSettings, Channels,
};
