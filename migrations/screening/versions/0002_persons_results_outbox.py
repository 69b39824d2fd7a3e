"""persons, screening results (append-only versions) and the alert outbox

Revision ID: scre_0002
Revises: scre_0001
Create Date: 2026-11-29 21:23:22.866510
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.append_only import guard_sql, unguard_sql

from shared.db import UtcDateTime


revision: str = 'scre_0002'
down_revision: str | None = 'scre_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Result versions are never updated or deleted: the database refuses it too.
def _guard(create: bool) -> None:
    dialect = op.get_bind().dialect.name
    statements = guard_sql if create else unguard_sql
    for statement in statements(dialect, ("screening_result",)):
        op.execute(statement)


def upgrade() -> None:
    op.create_table('person',
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('ward', sa.String(length=64), nullable=True),
    sa.Column('admitted_at', UtcDateTime(), nullable=True),
    sa.Column('patient_external_id', sa.String(length=64), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('id_number', sa.String(length=64), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patient_external_id'], ['person.external_id'], name=op.f('fk_person_patient_external_id_person')),
    sa.PrimaryKeyConstraint('external_id', name=op.f('pk_person'))
    )
    op.create_index('ix_person_category_department', 'person', ['category', 'department', 'external_id'], unique=False)
    op.create_index('ix_person_department', 'person', ['department'], unique=False)
    op.create_index('ix_person_patient_external_id', 'person', ['patient_external_id'], unique=False)
    op.create_index('ix_person_ward', 'person', ['ward'], unique=False)
    op.create_table('screening_result',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('person_external_id', sa.String(length=64), nullable=False),
    sa.Column('test_type', sa.String(length=16), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('specimen_collected_at', UtcDateTime(), nullable=False),
    sa.Column('resulted_at', UtcDateTime(), nullable=True),
    sa.Column('loinc', sa.String(length=16), nullable=False),
    sa.Column('values', sa.JSON(), nullable=True),
    sa.Column('performer', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('replaces_version', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', UtcDateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['person_external_id'], ['person.external_id'], name=op.f('fk_screening_result_person_external_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_result')),
    sa.UniqueConstraint('external_id', 'version', name=op.f('uq_screening_result_external_id_version'))
    )
    op.create_index('ix_screening_result_person_test', 'screening_result', ['person_external_id', 'test_type', 'specimen_collected_at'], unique=False)
    _guard(create=True)
    op.create_table('alert_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('result_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UtcDateTime(), nullable=False),
    sa.Column('delivered_to', sa.Text(), nullable=False),
    sa.Column('delivered_at', UtcDateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['result_id'], ['screening_result.id'], name=op.f('fk_alert_outbox_result_id_screening_result')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_outbox')),
    sa.UniqueConstraint('result_id', name=op.f('uq_alert_outbox_result_id'))
    )
    op.create_index('ix_alert_outbox_pending', 'alert_outbox', ['next_attempt_at'], unique=False, postgresql_where=sa.text('delivered_at IS NULL'), sqlite_where=sa.text('delivered_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_alert_outbox_pending', table_name='alert_outbox', postgresql_where=sa.text('delivered_at IS NULL'), sqlite_where=sa.text('delivered_at IS NULL'))
    op.drop_table('alert_outbox')
    _guard(create=False)
    op.drop_index('ix_screening_result_person_test', table_name='screening_result')
    op.drop_table('screening_result')
    op.drop_index('ix_person_ward', table_name='person')
    op.drop_index('ix_person_patient_external_id', table_name='person')
    op.drop_index('ix_person_department', table_name='person')
    op.drop_index('ix_person_category_department', table_name='person')
    op.drop_table('person')
