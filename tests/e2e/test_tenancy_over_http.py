"""A number belongs to one location at most, over HTTP on the local stack (docs/tenancy.md)."""

from tests.e2e.conftest import LocalStack, create_location, sending_numbers


def test_claiming_a_number_another_location_holds_is_409_number_taken(local_stack: LocalStack) -> None:
    [number] = sending_numbers()
    holder = create_location(local_stack, [number])

    claimant = create_location(local_stack, [])
    answer = local_stack.call(
        "PUT", f"/v1/locations/{claimant}", {"name": "Bright Smiles", "numbers": [number]}
    )

    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == {
        "code": "NUMBER_TAKEN",
        "message": "A number of the request belongs to another location.",
        "number": number,
    }
    assert local_stack.call("GET", f"/v1/locations/{claimant}").json()["numbers"] == []
    assert local_stack.call("GET", f"/v1/locations/{holder}").json()["numbers"] == [number]
