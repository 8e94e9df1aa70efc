//! Inbound channels. The WeChat / WeCom protocol core lives in [`wechat`]; the HTTP callbacks
//! that use it come with the channels issue.

pub mod wechat;
