export type Priority = "low" | "normal" | "high";

export interface Task {
  id: number;
  title: string;
  priority: Priority;
  done: boolean;
  due?: Date;
}

export function createTask(id: number, title: string, priority: Priority = "normal"): Task {
  if (!title.trim()) {
    throw new Error("a task needs a title");
  }
  return { id, title: title.trim(), priority, done: false };
}

export function priorityWeight(priority: Priority): number {
  return { low: 1, normal: 2, high: 3 }[priority];
}
