"""departments, slots, appointments, check-ins, virtual visits, idempotency keys

Revision ID: appo_0002
Revises: appo_0001
Create Date: 2026-11-29 21:19:57.002467
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime


revision: str = 'appo_0002'
down_revision: str | None = 'appo_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('department',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('capacity_per_slot', sa.Integer(), nullable=False),
    sa.Column('opens', sa.String(length=5), nullable=False),
    sa.Column('closes', sa.String(length=5), nullable=False),
    sa.Column('booking_days_ahead', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.CheckConstraint('booking_days_ahead >= 0', name=op.f('ck_department_horizon_not_negative')),
    sa.CheckConstraint('capacity_per_slot >= 0', name=op.f('ck_department_capacity_not_negative')),
    sa.CheckConstraint('slot_minutes > 0', name=op.f('ck_department_slot_minutes_positive')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_department'))
    )
    op.create_table('idempotency_key',
    sa.Column('caller', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('caller', 'key', name=op.f('pk_idempotency_key'))
    )
    op.create_index(op.f('ix_idempotency_key_created_at'), 'idempotency_key', ['created_at'], unique=False)
    op.create_table('ward_window',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ward', sa.String(length=64), nullable=False),
    sa.Column('window_start', UtcDateTime(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked <= capacity', name=op.f('ck_ward_window_booked_within_capacity')),
    sa.CheckConstraint('booked >= 0', name=op.f('ck_ward_window_booked_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ward_window')),
    sa.UniqueConstraint('ward', 'window_start', name=op.f('uq_ward_window_ward_window_start'))
    )
    op.create_table('slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('slot_start', UtcDateTime(), nullable=False),
    sa.Column('slot_end', UtcDateTime(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked <= capacity', name=op.f('ck_slot_booked_within_capacity')),
    sa.CheckConstraint('booked >= 0', name=op.f('ck_slot_booked_not_negative')),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_slot_department_code_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slot')),
    sa.UniqueConstraint('department_code', 'slot_start', name=op.f('uq_slot_department_code_slot_start'))
    )
    op.create_table('virtual_visit',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('patient_external_id', sa.String(length=64), nullable=False),
    sa.Column('ward', sa.String(length=64), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('visitor_name', sa.String(length=200), nullable=False),
    sa.Column('visitor_phone', sa.String(length=32), nullable=False),
    sa.Column('start', UtcDateTime(), nullable=False),
    sa.Column('window_start', UtcDateTime(), nullable=False),
    sa.Column('window_end', UtcDateTime(), nullable=False),
    sa.Column('join_url', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('status_changed_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['window_id'], ['ward_window.id'], name=op.f('fk_virtual_visit_window_id_ward_window')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_virtual_visit'))
    )
    op.create_index(op.f('ix_virtual_visit_patient_external_id'), 'virtual_visit', ['patient_external_id'], unique=False)
    op.create_index('ix_virtual_visit_ward_window', 'virtual_visit', ['ward', 'window_start'], unique=False)
    op.create_table('appointment',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('booking_code', sa.String(length=8), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('slot_start', UtcDateTime(), nullable=False),
    sa.Column('slot_end', UtcDateTime(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('patient_external_id', sa.String(length=64), nullable=False),
    sa.Column('patient_name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('rescheduled_from', sa.String(length=32), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('status_changed_at', UtcDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('booked', 'checked_in', 'redirected_fever_clinic', 'cancelled', 'rescheduled', 'no_show', 'completed')", name=op.f('ck_appointment_status_known')),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_appointment_department_code_department')),
    sa.ForeignKeyConstraint(['rescheduled_from'], ['appointment.id'], name=op.f('fk_appointment_rescheduled_from_appointment')),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_appointment_slot_id_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment')),
    sa.UniqueConstraint('booking_code', name=op.f('uq_appointment_booking_code'))
    )
    op.create_index('ix_appointment_department_day', 'appointment', ['department_code', 'local_date', 'slot_start'], unique=False)
    op.create_index('ix_appointment_patient', 'appointment', ['patient_external_id', 'local_date'], unique=False)
    op.create_index('uq_appointment_active_patient_department_day', 'appointment', ['patient_external_id', 'department_code', 'local_date'], unique=True, postgresql_where=sa.text("status IN ('booked', 'checked_in')"), sqlite_where=sa.text("status IN ('booked', 'checked_in')"))
    op.create_table('check_in',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('appointment_id', sa.String(length=32), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('patient_external_id', sa.String(length=64), nullable=False),
    sa.Column('patient_name', sa.String(length=200), nullable=False),
    sa.Column('at', UtcDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('temperature_c', sa.Float(), nullable=False),
    sa.Column('mask', sa.Boolean(), nullable=False),
    sa.Column('health_code', sa.String(length=10), nullable=False),
    sa.Column('risk_area_travel_14d', sa.Boolean(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_check_in_appointment_id_appointment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in'))
    )
    op.create_index(op.f('ix_check_in_appointment_id'), 'check_in', ['appointment_id'], unique=False)
    op.create_index('ix_check_in_department_at', 'check_in', ['department_code', 'at', 'id'], unique=False)
    op.create_index('ix_check_in_patient_at', 'check_in', ['patient_external_id', 'at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_check_in_patient_at', table_name='check_in')
    op.drop_index('ix_check_in_department_at', table_name='check_in')
    op.drop_index(op.f('ix_check_in_appointment_id'), table_name='check_in')
    op.drop_table('check_in')
    op.drop_index('uq_appointment_active_patient_department_day', table_name='appointment', postgresql_where=sa.text("status IN ('booked', 'checked_in')"), sqlite_where=sa.text("status IN ('booked', 'checked_in')"))
    op.drop_index('ix_appointment_patient', table_name='appointment')
    op.drop_index('ix_appointment_department_day', table_name='appointment')
    op.drop_table('appointment')
    op.drop_index('ix_virtual_visit_ward_window', table_name='virtual_visit')
    op.drop_index(op.f('ix_virtual_visit_patient_external_id'), table_name='virtual_visit')
    op.drop_table('virtual_visit')
    op.drop_table('slot')
    op.drop_table('ward_window')
    op.drop_index(op.f('ix_idempotency_key_created_at'), table_name='idempotency_key')
    op.drop_table('idempotency_key')
    op.drop_table('department')
