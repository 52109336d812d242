//! Scenario tests of the request API: each rule with the real message.
