//! Printers shared by the terminal's kubectl and the API server's Table responses.

pub mod age;
pub mod describe;
pub mod fields;
pub mod gosort;
pub mod json;
pub mod jsonpath;
pub mod table;
pub mod tabwriter;
pub mod yaml;
