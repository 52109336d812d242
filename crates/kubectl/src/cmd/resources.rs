//! Commands that read and change objects.

use super::Env;
use crate::Output;

pub fn run(command: &str, _args: &[String], _env: &mut Env, out: &mut Output) {
    out.fail(format!(
        "error: kubectl {command} is not available in this terminal yet"
    ));
}
