"""The interactive Telegram bot: coordinators answer their tasks and run commands in chat."""
