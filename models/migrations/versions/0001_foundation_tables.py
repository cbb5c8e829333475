"""foundation tables

Revision ID: 0001
Revises:
Create Date: 2026-11-27 16:40:41.325081
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


import models.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bureau_node',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=31), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('lunar', sa.Boolean(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('coordinator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('channel_broken', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('coverage_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('grid_path', sqlmodel.sql.sqltypes.AutoString(length=210), nullable=False),
    sa.Column('cadres', sa.Integer(), nullable=False),
    sa.Column('contacted', sa.Integer(), nullable=False),
    sa.Column('taken_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('taken_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('month', 'grid_id', name='uq_coverage_snapshot_month_grid')
    )
    with op.batch_alter_table('coverage_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_snapshot_month'), ['month'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_key', sqlmodel.sql.sqltypes.AutoString(length=31), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('template', sqlmodel.sql.sqltypes.AutoString(length=34), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('node_date', sa.Date(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('venue', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('node_key', 'year', 'template', name='uq_event_node_year_template')
    )
    op.create_table('grid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['grid.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('parent_id', 'name', name='uq_grid_parent_name')
    )
    with op.batch_alter_table('grid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_parent_id'), ['parent_id'], unique=False)

    op.create_table('holiday_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    with op.batch_alter_table('holiday_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holiday_day_year'), ['year'], unique=False)

    op.create_table('party_org',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['party_org.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('party_org', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_org_parent_id'), ['parent_id'], unique=False)

    op.create_table('volunteer_team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('focus', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('apprise_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(coordinator_id IS NULL) <> (grid_id IS NULL)', name='ck_apprise_target_one_owner'),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('apprise_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apprise_target_coordinator_id'), ['coordinator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_apprise_target_grid_id'), ['grid_id'], unique=False)

    op.create_table('branch_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['party_org.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('branch_id', 'period', name='uq_branch_meeting_month')
    )
    with op.batch_alter_table('branch_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branch_meeting_branch_id'), ['branch_id'], unique=False)

    op.create_table('branch_secretary',
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('set_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['party_org.id'], ),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinator.id'], ),
    sa.PrimaryKeyConstraint('branch_id')
    )
    with op.batch_alter_table('branch_secretary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branch_secretary_coordinator_id'), ['coordinator_id'], unique=False)

    op.create_table('cadre',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('id_number', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('gender', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('phones', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('lives_alone', sa.Boolean(), nullable=False),
    sa.Column('hardship', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('status_since', sa.Date(), nullable=True),
    sa.Column('status_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('coordinator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['party_org.id'], ),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id_number')
    )
    with op.batch_alter_table('cadre', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadre_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cadre_coordinator_id'), ['coordinator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cadre_name'), ['name'], unique=False)
        batch_op.create_index('ix_cadre_status_grid', ['status', 'grid_id'], unique=False)

    op.create_table('chat_invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_by_chat', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('(coordinator_id IS NULL) <> (grid_id IS NULL)', name='ck_chat_invite_one_target'),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    with op.batch_alter_table('chat_invite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_invite_coordinator_id'), ['coordinator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_invite_grid_id'), ['grid_id'], unique=False)

    op.create_table('coordinator_grid',
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ),
    sa.PrimaryKeyConstraint('coordinator_id', 'grid_id')
    )
    with op.batch_alter_table('coordinator_grid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coordinator_grid_grid_id'), ['grid_id'], unique=False)

    op.create_table('event_owner',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ),
    sa.PrimaryKeyConstraint('event_id', 'role')
    )
    op.create_table('event_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('title_zh', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('title_en', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('at', sa.Integer(), nullable=False),
    sa.Column('owner_role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'key', name='uq_event_step_key')
    )
    op.create_table('event_team',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['volunteer_team.id'], ),
    sa.PrimaryKeyConstraint('event_id', 'team_id')
    )
    op.create_table('grid_owner',
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('via', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('township_owner_id', sa.Integer(), nullable=True),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ),
    sa.ForeignKeyConstraint(['leader_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['township_owner_id'], ['coordinator.id'], ),
    sa.PrimaryKeyConstraint('grid_id')
    )
    op.create_table('group_chat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('broken', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('bound_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chat_id')
    )
    with op.batch_alter_table('group_chat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_chat_grid_id'), ['grid_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('not_before', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('sent_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['coordinator.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_notification_status', ['status', 'not_before'], unique=False)

    op.create_table('staff_leave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinator.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_leave', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_leave_coordinator_id'), ['coordinator_id'], unique=False)

    op.create_table('volunteer_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('people_served', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['volunteer_team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'held_on', 'topic', name='uq_volunteer_activity_day_topic')
    )
    with op.batch_alter_table('volunteer_activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_activity_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_activity_team_id'), ['team_id'], unique=False)

    op.create_table('attendance',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('recorded_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ),
    sa.PrimaryKeyConstraint('event_id', 'cadre_id')
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_cadre', ['cadre_id'], unique=False)

    op.create_table('chat_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('sent_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('notification_id', 'part', name='uq_chat_message_part')
    )
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.create_index('ix_chat_message_chat', ['chat_id', 'message_id'], unique=False)

    op.create_table('meeting_attendance',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('recorded_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.ForeignKeyConstraint(['meeting_id'], ['branch_meeting.id'], ),
    sa.PrimaryKeyConstraint('meeting_id', 'cadre_id')
    )
    with op.batch_alter_table('meeting_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_attendance_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('occurrence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('visit_opens', sa.Date(), nullable=False),
    sa.Column('visit_due', sa.Date(), nullable=False),
    sa.Column('follow_up_opens', sa.Date(), nullable=True),
    sa.Column('follow_up_due', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('reported_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cadre_id', 'kind', 'on_date', name='uq_occurrence_cadre_kind_day')
    )
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_occurrence_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index('ix_occurrence_kind_closed', ['kind', 'closed_on'], unique=False)

    op.create_table('relative',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('relation', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('relative', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_relative_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('window_opens', sa.Date(), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('overdue_since', sa.Date(), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('escalated_to_id', sa.Integer(), nullable=True),
    sa.Column('escalated_on', sa.Date(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('closed_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.ForeignKeyConstraint(['escalated_to_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rule', 'subject_id', 'period', name='uq_task_rule_subject_period')
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index('ix_task_cadre', ['cadre_id'], unique=False)
        batch_op.create_index('ix_task_escalated_to', ['escalated_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_task_status_due', ['status', 'due'], unique=False)

    op.create_table('volunteer_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['volunteer_team.id'], ),
    sa.PrimaryKeyConstraint('team_id', 'cadre_id')
    )
    with op.batch_alter_table('volunteer_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_member_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('volunteer_participant',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['volunteer_activity.id'], ),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.PrimaryKeyConstraint('activity_id', 'cadre_id')
    )
    with op.batch_alter_table('volunteer_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_participant_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('callback_token',
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('token'),
    sa.UniqueConstraint('task_id', 'coordinator_id', name='uq_callback_token_task_coordinator')
    )
    with op.batch_alter_table('callback_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_token_task_id'), ['task_id'], unique=False)

    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index('ix_contact_cadre_day', ['cadre_id', 'on_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_on_date'), ['on_date'], unique=False)

    op.create_table('task_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('coordinator_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinator.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('task_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_event_task_id'), ['task_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('task_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_event_task_id'))

    op.drop_table('task_event')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_on_date'))
        batch_op.drop_index('ix_contact_cadre_day')

    op.drop_table('contact')
    with op.batch_alter_table('callback_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_token_task_id'))

    op.drop_table('callback_token')
    with op.batch_alter_table('volunteer_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_participant_cadre_id'))

    op.drop_table('volunteer_participant')
    with op.batch_alter_table('volunteer_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_member_cadre_id'))

    op.drop_table('volunteer_member')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_status_due')
        batch_op.drop_index(batch_op.f('ix_task_event_id'))
        batch_op.drop_index('ix_task_escalated_to')
        batch_op.drop_index('ix_task_cadre')
        batch_op.drop_index('ix_task_assignee_status')

    op.drop_table('task')
    with op.batch_alter_table('relative', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_relative_cadre_id'))

    op.drop_table('relative')
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.drop_index('ix_occurrence_kind_closed')
        batch_op.drop_index(batch_op.f('ix_occurrence_cadre_id'))

    op.drop_table('occurrence')
    with op.batch_alter_table('meeting_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_attendance_cadre_id'))

    op.drop_table('meeting_attendance')
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_message_chat')

    op.drop_table('chat_message')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_cadre')

    op.drop_table('attendance')
    with op.batch_alter_table('volunteer_activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_activity_team_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_activity_held_on'))

    op.drop_table('volunteer_activity')
    with op.batch_alter_table('staff_leave', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_leave_coordinator_id'))

    op.drop_table('staff_leave')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_status')
        batch_op.drop_index(batch_op.f('ix_notification_recipient_id'))

    op.drop_table('notification')
    with op.batch_alter_table('group_chat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_chat_grid_id'))

    op.drop_table('group_chat')
    op.drop_table('grid_owner')
    op.drop_table('event_team')
    op.drop_table('event_step')
    op.drop_table('event_owner')
    with op.batch_alter_table('coordinator_grid', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coordinator_grid_grid_id'))

    op.drop_table('coordinator_grid')
    with op.batch_alter_table('chat_invite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_invite_grid_id'))
        batch_op.drop_index(batch_op.f('ix_chat_invite_coordinator_id'))

    op.drop_table('chat_invite')
    with op.batch_alter_table('cadre', schema=None) as batch_op:
        batch_op.drop_index('ix_cadre_status_grid')
        batch_op.drop_index(batch_op.f('ix_cadre_name'))
        batch_op.drop_index(batch_op.f('ix_cadre_coordinator_id'))
        batch_op.drop_index(batch_op.f('ix_cadre_branch_id'))

    op.drop_table('cadre')
    with op.batch_alter_table('branch_secretary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_branch_secretary_coordinator_id'))

    op.drop_table('branch_secretary')
    with op.batch_alter_table('branch_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_branch_meeting_branch_id'))

    op.drop_table('branch_meeting')
    with op.batch_alter_table('apprise_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apprise_target_grid_id'))
        batch_op.drop_index(batch_op.f('ix_apprise_target_coordinator_id'))

    op.drop_table('apprise_target')
    op.drop_table('volunteer_team')
    with op.batch_alter_table('party_org', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_org_parent_id'))

    op.drop_table('party_org')
    with op.batch_alter_table('holiday_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holiday_day_year'))

    op.drop_table('holiday_day')
    with op.batch_alter_table('grid', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_parent_id'))

    op.drop_table('grid')
    op.drop_table('event')
    with op.batch_alter_table('coverage_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_snapshot_month'))

    op.drop_table('coverage_snapshot')
    op.drop_table('coordinator')
    op.drop_table('bureau_node')
