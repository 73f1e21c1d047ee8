"""The in-portal inbox (消息): reminders and notices the other modules send to a person."""
