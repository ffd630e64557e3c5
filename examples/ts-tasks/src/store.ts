import { Task, createTask, Priority } from "./task";

export class TaskStore {
  private tasks = new Map<number, Task>();
  private nextId = 1;

  add(title: string, priority?: Priority): Task {
    const task = createTask(this.nextId++, title, priority);
    this.tasks.set(task.id, task);
    return task;
  }

  complete(id: number): Task {
    const task = this.get(id);
    task.done = true;
    return task;
  }

  get(id: number): Task {
    const task = this.tasks.get(id);
    if (!task) {
      throw new Error(`no task ${id}`);
    }
    return task;
  }

  open(): Task[] {
    return [...this.tasks.values()].filter((task) => !task.done);
  }
}
