import { Task, priorityWeight } from "./task";
import { TaskStore } from "./store";

export function urgency(task: Task, now: Date): number {
  const days = task.due ? (task.due.getTime() - now.getTime()) / 86_400_000 : 30;
  return priorityWeight(task.priority) * 10 - Math.max(-10, Math.min(days, 30));
}

export function nextTasks(store: TaskStore, count: number, now = new Date()): Task[] {
  return store
    .open()
    .sort((a, b) => urgency(b, now) - urgency(a, now))
    .slice(0, count);
}
