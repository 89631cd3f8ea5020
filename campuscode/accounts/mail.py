"""The demo's e-mail backend: prints each message and keeps it for the local outbox page."""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class OutboxBackend(ConsoleBackend):
    def send_messages(self, email_messages):
        from campuscode.accounts.models import OutboxMessage

        for message in email_messages:
            OutboxMessage.objects.create(
                to=", ".join(message.to), subject=message.subject, body=message.body
            )
        return super().send_messages(email_messages)
