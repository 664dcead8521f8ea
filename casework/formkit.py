"""Form pieces that the case pages (casework.web) and the task forms (workflows.forms) share: a
date input and the mixin that puts a service's field errors back on the form's fields. Below
both, so that the task forms need not import a page module."""

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ServiceErrorsMixin:
    def add_service_errors(self, error) -> None:
        """Put the service's field errors on the fields they belong to."""
        for field, messages in (error.message_dict if hasattr(error, "error_dict")
                                else {None: error.messages}).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
