//! Teams: inter-annotator agreement (hand-computed examples, and `marginalia agree` against
//! scikit-learn and `krippendorff`), review mode's core (decisions, the curated file, feedback)
//! on a temp workspace and on a shipped seed, and twenty annotators merging through real git.
//! One test binary: `cargo test --test team`.

#[path = "../support/mod.rs"]
mod support;

mod agreement_crosscheck;
mod agreement_hand;
mod review_seeds;
mod review_session;
mod team_sim;
