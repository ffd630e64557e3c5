import { Task } from "./task";
import { TaskStore } from "./store";
import { nextTasks } from "./scheduler";

export function formatTask(task: Task): string {
  const mark = task.done ? "x" : " ";
  return `[${mark}] #${task.id} ${task.title} (${task.priority})`;
}

export function dailyReport(store: TaskStore): string {
  const lines = nextTasks(store, 5).map(formatTask);
  return ["Next up:", ...lines].join("\n");
}
