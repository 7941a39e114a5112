//! RON as Marginalia writes and reads it everywhere (layers, tags, the workspace file, records):
//! one recursion limit for reads, one stable pretty layout for writes.

use serde::Serialize;

/// The RON options used for every read: default recursion limit, so deep nesting is an error,
/// not a stack overflow.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_recursion_limit(64)
}

/// Pretty RON with a stable layout: four-space indent, `\n` line ends, no struct names.
pub fn to_pretty_ron<T: Serialize>(value: &T) -> Result<String, ron::Error> {
    let config = ron::ser::PrettyConfig::new()
        .indentor("    ")
        .new_line("\n")
        .struct_names(false)
        .separate_tuple_members(false)
        .enumerate_arrays(false);
    let mut s = ron_options().to_string_pretty(value, config)?;
    s.push('\n');
    Ok(s)
}
