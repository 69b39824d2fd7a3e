"""HIS/LIS feeds: the inbox of held results and the ledger of accepted HL7 messages

Revision ID: scre_0003
Revises: scre_0002
Create Date: 2026-11-29 21:32:08.333803
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime


revision: str = 'scre_0003'
down_revision: str | None = 'scre_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feed_inbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('received_at', UtcDateTime(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('result_external_id', sa.String(length=64), nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=True),
    sa.Column('person_identifiers', sa.JSON(), nullable=False),
    sa.Column('patient_name', sa.String(length=200), nullable=True),
    sa.Column('birth_date', sa.String(length=10), nullable=True),
    sa.Column('code', sa.String(length=200), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source_ref', sa.String(length=300), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('matched_at', UtcDateTime(), nullable=True),
    sa.Column('matched_by', sa.String(length=200), nullable=True),
    sa.Column('matched_person', sa.String(length=64), nullable=True),
    sa.Column('matched_version', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_inbox'))
    )
    op.create_index('ix_feed_inbox_held_person', 'feed_inbox', ['person_key'], unique=False, postgresql_where=sa.text("state = 'held'"), sqlite_where=sa.text("state = 'held'"))
    op.create_index('ix_feed_inbox_result_content', 'feed_inbox', ['result_external_id', 'content_hash'], unique=True)
    op.create_index('ix_feed_inbox_state', 'feed_inbox', ['state', 'id'], unique=False)
    op.create_table('feed_message',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sender', sa.String(length=200), nullable=False),
    sa.Column('control_id', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('ack', sa.Text(), nullable=False),
    sa.Column('received_at', UtcDateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_message'))
    )
    op.create_index('ix_feed_message_sender_control', 'feed_message', ['sender', 'control_id'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_feed_message_sender_control', table_name='feed_message')
    op.drop_table('feed_message')
    op.drop_index('ix_feed_inbox_state', table_name='feed_inbox')
    op.drop_index('ix_feed_inbox_result_content', table_name='feed_inbox')
    op.drop_index('ix_feed_inbox_held_person', table_name='feed_inbox', postgresql_where=sa.text("state = 'held'"), sqlite_where=sa.text("state = 'held'"))
    op.drop_table('feed_inbox')
