"""The case editor's privacy warning names each finding in the reader's language."""
from conftest import csrf_token
from test_intervisie import as_, planned_round, team  # noqa: F401 - team is a fixture


def test_the_findings_are_labelled_in_english_for_an_english_reader(app, team, login):  # noqa: F811
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    sanne = as_(app, login, people["sanne"])
    path = f"/intervisie/rondes/{round_id}/casus"
    data = {"help_question": "Hoe houd ik de regie?", "csrf_token": csrf_token(sanne, path),
            "case_text": "Moeder belde over haar zoon Daan (8). Zijn BSN 111222333 stond in de brief."}
    english = sanne.post(path, data=data, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "(a citizen service number)" in english and "(a name)" in english and "(an age)" in english
    assert "een BSN" not in english and "een naam" not in english
    dutch = sanne.post(path, data=data, headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "(een BSN)" in dutch and "(een leeftijd)" in dutch
