//! Routing rules: being written (see the module's task).
