//! The education skill pack (教育行业技能包): a script library for training schools, K12
//! segmentation of the customer, course recommendations from the tenant's catalog and the
//! returning-student offer.
//!
//! [`skill`] holds the logic and has no SDK dependency, so `cargo test -p kefu-edu-skill-pack`
//! runs natively; `plugin` is the SDK glue, compiled only for the wasm component.

pub mod skill;

#[cfg(target_family = "wasm")]
mod plugin;
