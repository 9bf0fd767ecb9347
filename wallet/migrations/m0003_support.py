"""Support desk: tickets, their replies, and the outbox of messages waiting to be sent."""

SQL = """
        CREATE TABLE support_tickets (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            category TEXT NOT NULL,
            subject TEXT NOT NULL,
            description TEXT NOT NULL,
            transactions TEXT NOT NULL DEFAULT '[]',
            diagnostics TEXT NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('live', 'email', 'social')),
            contact TEXT,
            status TEXT NOT NULL
                CHECK (status IN ('queued', 'sent', 'answered', 'failed', 'closed')),
            submitted_at TEXT NOT NULL,
            reply_due_at TEXT NOT NULL,
            sent_at TEXT,
            remote_id TEXT,
            last_error TEXT,
            followed_up_at TEXT
        );
        CREATE TABLE support_replies (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES support_tickets(id) ON DELETE CASCADE,
            remote_id TEXT NOT NULL,
            author TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            from_requester INTEGER NOT NULL DEFAULT 0,
            UNIQUE (ticket_id, remote_id)
        );
        CREATE TABLE support_outbox (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES support_tickets(id) ON DELETE CASCADE,
            action TEXT NOT NULL CHECK (action IN ('create', 'follow_up')),
            body TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed'))
        );
        CREATE INDEX support_outbox_due ON support_outbox(state, next_attempt_at);
"""
