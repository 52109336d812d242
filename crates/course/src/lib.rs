//! Lessons, exercises and the grader.
