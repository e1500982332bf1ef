"""anonymous round seats: participant gets its own id

A seat in a round outlives the deleted account of its person (person_id NULL), so the composite
primary key (round_id, person_id) gives way to an id. Alembic cannot alter a primary key in place
on both databases, so the table is rebuilt and its rows copied.

Revision ID: b36cb9bdd7c0
Revises: e875c6e42156
Create Date: 2026-11-22 10:49:26.523931

"""
from alembic import op
import sqlalchemy as sa

import app.models_base


# revision identifiers, used by Alembic.
revision = 'b36cb9bdd7c0'
down_revision = 'e875c6e42156'
branch_labels = None
depends_on = None


PARTICIPANT = "participant"


def _new_table(name, person_nullable, person_ondelete, with_id):
    columns = [
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=person_nullable),
        sa.Column('role', sa.String(length=12), nullable=False),
        sa.Column('rsvp', sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=f'fk_{name}_person_id_person',
                                ondelete=person_ondelete),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=f'fk_{name}_round_id_round', ondelete='CASCADE'),
    ]
    if with_id:
        columns.insert(0, sa.Column('id', sa.Integer(), nullable=False))
        columns += [sa.PrimaryKeyConstraint('id', name=f'pk_{name}'),
                    sa.UniqueConstraint('round_id', 'person_id', name=f'uq_{name}_round_id')]
    else:
        columns.append(sa.PrimaryKeyConstraint('round_id', 'person_id', name=f'pk_{name}'))
    op.create_table(name, *columns)


def _swap(person_nullable, person_ondelete, with_id, where=""):
    """Move the old table aside, build the new shape under the final names, copy the rows."""
    bind = op.get_bind()
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_person_id')
    op.rename_table('participant', 'participant_old')
    if bind.dialect.name == "postgresql":
        # A primary key or unique constraint is an index, and index names are unique per schema.
        op.execute('ALTER TABLE participant_old RENAME CONSTRAINT "pk_participant" TO "pk_participant_old"')
        if not with_id:
            op.execute('ALTER TABLE participant_old RENAME CONSTRAINT "uq_participant_round_id" '
                       'TO "uq_participant_old_round_id"')
    _new_table('participant', person_nullable, person_ondelete, with_id)
    op.execute("INSERT INTO participant (round_id, person_id, role, rsvp) "
               f"SELECT round_id, person_id, role, rsvp FROM participant_old {where}")
    op.drop_table('participant_old')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index('ix_participant_person_id', ['person_id'], unique=False)


def upgrade():
    _swap(True, 'SET NULL', True)


def downgrade():
    # Anonymous seats cannot go back into a table whose key needs a person.
    _swap(False, 'CASCADE', False, where="WHERE person_id IS NOT NULL")
