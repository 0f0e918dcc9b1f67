//! Prints the `ImageUploadStack` CustomResourceDefinition as YAML.
//! `crds/imageuploadstacks.yaml` is this program's output, committed.

fn main() {
    print!("{}", imgup_operator::crd_yaml());
}
