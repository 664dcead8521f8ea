"""The task and meeting pages (paths and names as before; included by casework.urls)."""

from django.urls import path

from workflows.web import meetings, tasks

urlpatterns = [
    path("tasks/", tasks.inbox_view, name="inbox-default"),
    path("tasks/distribute/", tasks.tasks_distribute, name="tasks-distribute"),
    path("tasks/preferences/", tasks.inbox_preferences, name="inbox-preferences"),
    path("worklists/", tasks.worklist_save, name="worklist-save"),
    path("worklists/<int:worklist_id>/delete/", tasks.worklist_delete, name="worklist-delete"),
    path("tasks/<str:scope>/", tasks.inbox_view, name="inbox"),
    path("task/<int:task_id>/", tasks.task_detail, name="task-detail"),
    path("task/<int:task_id>/claim/", tasks.task_claim, name="task-claim"),
    path("task/<int:task_id>/unclaim/", tasks.task_unclaim, name="task-unclaim"),
    path("task/<int:task_id>/follow-up/", tasks.task_follow_up, name="task-follow-up"),
    path("meetings/", meetings.my_teams, name="meetings"),
    path("teams/<int:team_id>/meetings/", meetings.team_meetings, name="team-meetings"),
    path("teams/<int:team_id>/calendar/<str:token>.ics", meetings.team_calendar, name="team-calendar"),
    path("meetings/<int:meeting_id>/", meetings.meeting_view, name="meeting"),
    path("meetings/<int:meeting_id>/items/<int:item_id>/", meetings.meeting_item, name="meeting-item"),
    path("meetings/<int:meeting_id>/print/", meetings.meeting_print, name="meeting-print"),
    path("cases/<int:case_id>/meeting-flag/", meetings.flag_case, name="case-meeting-flag"),
]
