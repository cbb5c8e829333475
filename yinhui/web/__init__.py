"""The task page (任务页): coordinators answer their tasks from any browser, leaders see the county at a glance."""
