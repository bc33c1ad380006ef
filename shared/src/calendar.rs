//! Business calendars: being written (see the module's task).
