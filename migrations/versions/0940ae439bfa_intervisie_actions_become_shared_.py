"""intervisie actions become shared personal actions

The presenter's actions move from intervisie's own `action` table onto the shared
`personal_action` (source "intervisie", source_id the round), rows and their done state kept.

Revision ID: 0940ae439bfa
Revises: b36cb9bdd7c0
Create Date: 2026-11-22 10:53:36.255941

"""
from alembic import op
import sqlalchemy as sa

import app.models_base


# revision identifiers, used by Alembic.
revision = '0940ae439bfa'
down_revision = 'b36cb9bdd7c0'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "INSERT INTO personal_action (owner_id, text, source, source_id, created_at, done_at) "
        "SELECT owner_id, text, 'intervisie', round_id, created_at, done_at FROM action ORDER BY id")
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_round_id'))
        batch_op.drop_index(batch_op.f('ix_action_team_id'))

    op.drop_table('action')


def downgrade():
    op.create_table('action',
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('round_id', sa.INTEGER(), nullable=False),
    sa.Column('team_id', sa.INTEGER(), nullable=False),
    sa.Column('owner_id', sa.INTEGER(), nullable=False),
    sa.Column('text', sa.VARCHAR(length=500), nullable=False),
    sa.Column('created_at', app.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', app.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['person.id'], name=op.f('fk_action_owner_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_action_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_action_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action'))
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_round_id'), ['round_id'], unique=False)
    op.execute(
        "INSERT INTO action (round_id, team_id, owner_id, text, created_at, done_at) "
        "SELECT a.source_id, r.team_id, a.owner_id, a.text, a.created_at, a.done_at "
        "FROM personal_action a JOIN round r ON r.id = a.source_id WHERE a.source = 'intervisie'")
    op.execute("DELETE FROM personal_action WHERE source = 'intervisie'")
