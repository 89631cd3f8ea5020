"""The demo's e-mail backend: prints each message and keeps it for the local outbox page.

Attachments (a report's XLSX and PDF) are listed by name and size, not printed or kept."""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


def attachment_lines(message) -> list[str]:
    return [
        f"[{name} · {mimetype} · {len(content) // 1024 + 1} KB]"
        for name, content, mimetype in message.attachments
    ]


class OutboxBackend(ConsoleBackend):
    def send_messages(self, email_messages):
        from campuscode.accounts.models import OutboxMessage

        for message in email_messages:
            OutboxMessage.objects.create(
                to=", ".join(message.to),
                subject=message.subject,
                body="\n".join([message.body, *attachment_lines(message)]),
            )
        return super().send_messages(email_messages)

    def write_message(self, message):
        if not message.attachments:
            return super().write_message(message)
        lines = [f"To: {', '.join(message.to)}", f"Subject: {message.subject}", "", message.body]
        self.stream.write("\n".join([*lines, *attachment_lines(message)]) + "\n")
        self.stream.write("-" * 79 + "\n")
