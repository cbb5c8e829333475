"""What Yinhui says to people, built once per message kind; channels choose only the format.

- `texts` — every text, keyed: English gettext msgids, the Chinese in the zh_CN catalogue (`text(language, key, **values)`);
- `content` — the `Message` a renderer builds (title, paragraphs, task lists) and the plain-text format;
- `digest`, `notices` — one renderer per kind: the daily digest and chat task lists, grid notices, alerts;
- `stored` — an outbox row back to its `Message` at delivery.

Pure (no database, no network), so services write the outbox row's text with the same renderer
the channels draw from, and the bot answers with it too. The Telegram layout (buttons, splitting
under 4,096 characters) lives with the channel: `notifiers.telegram.chat_format`.
"""
