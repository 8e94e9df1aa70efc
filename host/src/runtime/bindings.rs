//! The one `bindgen!` of the host: Rust types and traits generated from `wit/0.1.0`.
//!
//! The rest of the host uses these types through [`crate::runtime::contract`]; only the runtime
//! module touches the generated linking code.

wasmtime::component::bindgen!({
    path: "../wit/0.1.0",
    world: "plugin",
    additional_derives: [PartialEq],
});
